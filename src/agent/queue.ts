import { randomBytes } from 'node:crypto';

import type { Logger } from 'pino';

/** What a pass asks of the queue when it returns normally. */
export interface PassResult {
  /** Run the key again after this many milliseconds. */
  requeueAfterMs?: number;
}

/** One pass over one key; `signal` aborts when the pass timeout is reached or the queue drains. */
export type PassHandler = (key: string, signal: AbortSignal, log: Logger) => Promise<PassResult>;

/**
 * A failure that retrying cannot fix (bad configuration, a refused secret). The queue records it
 * at error level and does not requeue the key; the next `add` runs it again.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** How a WorkQueue behaves. */
export interface WorkQueueOptions {
  handler: PassHandler;
  logger: Logger;
  /** A pass running longer than this is aborted and retried with backoff (default 60 s). */
  passTimeoutMs?: number;
  /** First retry delay after a failed pass, doubled on each failure in a row (default 200 ms). */
  initialBackoffMs?: number;
  /** Longest retry delay (default 10 s). */
  maxBackoffMs?: number;
}

interface KeyState {
  failures: number;
  dirty: boolean;
  timer: NodeJS.Timeout | undefined;
  dueAt: number;
}

/**
 * A keyed work queue with one worker: a key is never processed by two passes at once, adding a
 * key that is waiting does nothing, and adding one that is being processed runs it once more
 * afterwards. A pass that throws is retried with exponential backoff; a clean pass resets it.
 */
export class WorkQueue {
  readonly #options: Required<WorkQueueOptions>;
  readonly #ready: string[] = [];
  readonly #keys = new Map<string, KeyState>();
  readonly #runPrefix = randomBytes(3).toString('hex');
  #passCount = 0;
  #current: { key: string; done: Promise<void>; abort: AbortController } | undefined;
  #draining = false;

  constructor(options: WorkQueueOptions) {
    this.#options = {
      passTimeoutMs: 60_000,
      initialBackoffMs: 200,
      maxBackoffMs: 10_000,
      ...options,
    };
  }

  /** Queues `key` to run as soon as the worker is free. */
  add(key: string): void {
    if (this.#draining) return;
    const state = this.#state(key);

    if (this.#current?.key === key) {
      state.dirty = true;
      return;
    }
    if (!this.#ready.includes(key)) this.#ready.push(key);
    this.#kick();
  }

  /** Queues `key` after `delayMs`, unless it is already due sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.#draining) return;
    const state = this.#state(key);
    const dueAt = Date.now() + delayMs;
    if (state.timer !== undefined && state.dueAt <= dueAt) return;

    clearTimeout(state.timer);
    state.dueAt = dueAt;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.add(key);
    }, delayMs);
  }

  /** How many passes of `key` failed in a row. */
  failuresOf(key: string): number {
    return this.#keys.get(key)?.failures ?? 0;
  }

  /**
   * Stops taking work, aborts nothing that runs, and waits for the pass in progress at most
   * `deadlineMs`; then aborts it. Resolves true when the queue was idle by the deadline.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    this.#draining = true;
    this.#ready.length = 0;
    for (const state of this.#keys.values()) clearTimeout(state.timer);

    const current = this.#current;
    if (current === undefined) return true;

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const drained = await Promise.race([current.done.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!drained) current.abort.abort(new Error('the agent is stopping'));
    return drained;
  }

  #kick(): void {
    if (this.#current !== undefined || this.#draining) return;
    const key = this.#ready.shift();
    if (key === undefined) return;

    const abort = new AbortController();
    const done = this.#runPass(key, abort).finally(() => {
      this.#current = undefined;
      this.#afterPass(key);
    });
    this.#current = { key, done, abort };
  }

  async #runPass(key: string, abort: AbortController): Promise<void> {
    const passId = `${this.#runPrefix}-${++this.#passCount}`;
    const log = this.#options.logger.child({ passId, key });
    const state = this.#state(key);
    const started = Date.now();
    const timer = setTimeout(
      () => abort.abort(new Error(`pass timed out after ${this.#options.passTimeoutMs} ms`)),
      this.#options.passTimeoutMs,
    );

    try {
      const result = await this.#options.handler(key, abort.signal, log);
      state.failures = 0;
      log.debug({ durationMs: Date.now() - started }, 'Reconcile pass done');
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.#onFailure(key, state, err, log, Date.now() - started);
    } finally {
      clearTimeout(timer);
    }
  }

  #onFailure(key: string, state: KeyState, err: unknown, log: Logger, durationMs: number): void {
    if (err instanceof TerminalError) {
      state.failures = 0;
      log.error({ err, durationMs }, 'Reconcile pass failed; not retrying');
      return;
    }

    state.failures += 1;
    const { initialBackoffMs, maxBackoffMs } = this.#options;
    const delayMs = Math.min(initialBackoffMs * 2 ** (state.failures - 1), maxBackoffMs);
    log.warn(
      { err: describe(err), durationMs, failures: state.failures, delayMs },
      'Reconcile pass failed; retrying',
    );
    this.addAfter(key, delayMs);
  }

  #afterPass(key: string): void {
    const state = this.#state(key);
    if (state.dirty) {
      state.dirty = false;
      this.add(key);
    }
    this.#kick();
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { failures: 0, dirty: false, timer: undefined, dueAt: 0 };
      this.#keys.set(key, state);
    }
    return state;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
