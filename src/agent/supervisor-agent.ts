import type { Logger } from 'pino';

import type { Backend } from './backends/backend.js';
import type { ControlPlane, DesiredWatch, PublishedSupervisor } from './control-plane.js';
import { WorkQueue } from './queue.js';
import { HEARTBEAT_KEY, RECONCILE_KEY, Reconciler } from './reconciler.js';

/** Lifecycle of an agent; every transition is logged at info. */
export type AgentState = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

/** Defaults of SupervisorAgentOptions. */
export const DEFAULT_AGENT_OPTIONS = {
  resyncIntervalMs: 30_000,
  heartbeatIntervalMs: 30_000,
  passTimeoutMs: 60_000,
  initialBackoffMs: 200,
  maxBackoffMs: 10_000,
  drainTimeoutMs: 10_000,
  watchRetryMaxMs: 10_000,
};

/** How a SupervisorAgent runs. */
export interface SupervisorAgentOptions {
  controlPlane: ControlPlane;
  backend: Backend;
  logger: Logger;
  /** Full reconcile pass at this interval whatever else happens: the safety net (default 30 s). */
  resyncIntervalMs?: number;
  /** Publish at this interval (default 30 s). */
  heartbeatIntervalMs?: number;
  passTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long stop() waits for a pass in progress (default 10 s). */
  drainTimeoutMs?: number;
  /** Longest wait before re-opening a failed watch stream (default 10 s). */
  watchRetryMaxMs?: number;
  /** Called after every publish the control plane accepted (e.g. `up` registers the supervisor). */
  onPublished?: (supervisor: PublishedSupervisor) => void;
}

/**
 * A supervisor agent: publishes itself, learns what it must run, makes the backend match, and
 * reports. It reconciles on start, whenever the control plane says the desired set changed (the
 * watch stream), whenever the backend says an instance changed, and every resync interval; it
 * publishes every heartbeat interval. Passes run one at a time through a WorkQueue.
 *
 * @example
 * const agent = new SupervisorAgent({ controlPlane, backend, logger });
 * await agent.start();
 * // …
 * await agent.stop({ stopInstances: false });
 */
export class SupervisorAgent {
  readonly #options: SupervisorAgentOptions & typeof DEFAULT_AGENT_OPTIONS;
  readonly #reconciler: Reconciler;
  readonly #queue: WorkQueue;
  readonly #log: Logger;
  #state: AgentState = 'INITIALIZED';
  #timers: NodeJS.Timeout[] = [];
  #unsubscribeBackend: (() => void) | undefined;
  #watch: DesiredWatch | undefined;
  #watchedSupervisorId: string | undefined;
  #watchFailures = 0;
  #watchRetry: NodeJS.Timeout | undefined;

  constructor(options: SupervisorAgentOptions) {
    this.#options = { ...DEFAULT_AGENT_OPTIONS, ...withoutUndefined(options) };
    this.#log = options.logger.child({ backend: options.backend.name });
    this.#reconciler = new Reconciler({
      controlPlane: options.controlPlane,
      backend: options.backend,
      logger: this.#log,
      onPublished: (supervisor) => this.#onPublished(supervisor),
    });
    this.#queue = new WorkQueue({
      handler: (key, signal, log) => this.#reconciler.run(key, signal, log),
      logger: this.#log,
      passTimeoutMs: this.#options.passTimeoutMs,
      initialBackoffMs: this.#options.initialBackoffMs,
      maxBackoffMs: this.#options.maxBackoffMs,
    });
  }

  /** The agent's lifecycle state. */
  get state(): AgentState {
    return this.#state;
  }

  /** The supervisor as the last accepted publish returned it; undefined before the first. */
  get supervisor(): PublishedSupervisor | undefined {
    return this.#reconciler.supervisor;
  }

  /**
   * Adopts what the backend finds, then starts reconciling. Resolves without waiting for the
   * control plane: an agent started while it is down keeps retrying, and its plugins keep running.
   */
  async start(): Promise<void> {
    if (this.#state !== 'INITIALIZED')
      throw new Error(`cannot start an agent that is ${this.#state}`);
    this.#setState('STARTING');

    await this.#options.backend.start();
    this.#unsubscribeBackend = this.#options.backend.onChange(() => this.#queue.add(RECONCILE_KEY));

    this.#queue.add(RECONCILE_KEY);
    this.#every(this.#options.resyncIntervalMs, () => this.#queue.add(RECONCILE_KEY));
    this.#every(this.#options.heartbeatIntervalMs, () => this.#queue.add(HEARTBEAT_KEY));
    this.#setState('RUNNING');
  }

  /** Runs a full pass soon (as a "desired changed" message does). */
  requestReconcile(): void {
    this.#queue.add(RECONCILE_KEY);
  }

  /**
   * Stops reconciling: waits for the pass in progress (at most the drain timeout), closes the
   * watch stream, then releases the backend, stopping every plugin when `stopInstances`.
   */
  async stop(options: { stopInstances: boolean }): Promise<void> {
    if (this.#state === 'STOPPED' || this.#state === 'DRAINING') return;
    this.#setState('DRAINING');

    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#watchRetry);
    this.#watch?.close();
    this.#unsubscribeBackend?.();

    const drained = await this.#queue.drain(this.#options.drainTimeoutMs);
    if (!drained)
      this.#log.warn(
        { drainTimeoutMs: this.#options.drainTimeoutMs },
        'Reconcile pass still running at stop; aborted',
      );

    await this.#options.backend.close(options);
    this.#setState('STOPPED');
  }

  #onPublished(supervisor: PublishedSupervisor): void {
    this.#options.onPublished?.(supervisor);
    if (this.#watchedSupervisorId !== supervisor.supervisor_id)
      this.#openWatch(supervisor.supervisor_id);
  }

  #openWatch(supervisorId: string): void {
    const controlPlane = this.#options.controlPlane;
    if (controlPlane.watch === undefined || this.#state === 'DRAINING' || this.#state === 'STOPPED')
      return;

    this.#watch?.close();
    this.#watchedSupervisorId = supervisorId;
    const watch = controlPlane.watch(supervisorId, () => this.#queue.add(RECONCILE_KEY));
    this.#watch = watch;

    watch.opened.then(
      () => {
        this.#watchFailures = 0;
        this.#log.debug({ supervisorId }, 'Watching desired changes');
        // Changes made while the stream was down were not announced.
        this.#queue.add(RECONCILE_KEY);
      },
      () => undefined,
    );
    void watch.ended.then((err) => this.#onWatchEnded(watch, supervisorId, err));
  }

  #onWatchEnded(watch: DesiredWatch, supervisorId: string, err: Error | undefined): void {
    if (this.#watch !== watch || this.#state === 'DRAINING' || this.#state === 'STOPPED') return;

    this.#watchFailures += 1;
    const delayMs = Math.min(
      this.#options.initialBackoffMs * 2 ** (this.#watchFailures - 1),
      this.#options.watchRetryMaxMs,
    );
    this.#log.warn(
      { supervisorId, err: err?.message ?? 'stream ended', delayMs },
      'Watch stream ended; resync continues, re-opening',
    );
    this.#watchRetry = setTimeout(() => this.#openWatch(supervisorId), delayMs);
  }

  #every(intervalMs: number, tick: () => void): void {
    this.#timers.push(setInterval(tick, intervalMs));
  }

  #setState(next: AgentState): void {
    const previous = this.#state;
    this.#state = next;
    this.#log.info({ from: previous, to: next }, 'Agent state');
  }
}

function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}
