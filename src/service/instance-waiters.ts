import type { InstanceIdentity, InstanceRow } from '../store/plugin-endpoint-repository.js';
import type { ServiceEvents } from './events.js';

/**
 * Callers waiting for instances to become ready (ACTIVE with an endpoint), woken by events rather
 * than by polling: while nothing is reported, a waiting call holds one timer and one map entry
 * and costs no CPU.
 *
 * When a publish reports instance state (`events.onInstancesReported`), every instance that has
 * waiters is read once, however many callers wait for it, and the callers of the ready ones are
 * released. Reports arriving during a check are folded into one more check.
 */
export class InstanceWaiters {
  readonly #events: ServiceEvents;
  readonly #read: (key: InstanceIdentity) => Promise<InstanceRow | undefined>;
  readonly #waiting = new Map<string, Set<Waiter>>();
  readonly #recheckMs: number;
  #unsubscribe: (() => void) | undefined;
  #recheck: NodeJS.Timeout | undefined;
  /** Instances to read on the next check. */
  readonly #dirty = new Set<string>();
  #checking = false;

  /**
   * `recheckMs` > 0 adds a safety net for several replicas, whose publishes this process does not
   * see: while calls wait, every waited instance is read once per interval. 0 (the default)
   * relies on events alone.
   */
  constructor(
    events: ServiceEvents,
    read: (key: InstanceIdentity) => Promise<InstanceRow | undefined>,
    recheckMs = 0,
  ) {
    this.#events = events;
    this.#read = read;
    this.#recheckMs = recheckMs;
  }

  /** How many calls are waiting now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.#waiting.values()) n += set.size;
    return n;
  }

  /**
   * Resolves with the instance once it is ready; `'timeout'` after `timeoutMs`; rejects when
   * `signal` aborts (the caller went away) or reading the store fails. The instance is read once
   * right after the waiter is registered, so a report that landed just before is not missed.
   */
  wait(
    key: InstanceIdentity,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<InstanceRow | 'timeout'> {
    signal?.throwIfAborted();

    return new Promise((resolve, reject) => {
      const id = keyOf(key);
      const waiter: Waiter = {
        key,
        settle: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#remove(id, waiter);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      };
      const onAbort = () => waiter.settle(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(() => waiter.settle('timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });

      this.#add(id, waiter);
      this.#requestCheck([id]);
    });
  }

  #add(id: string, waiter: Waiter): void {
    const set = this.#waiting.get(id) ?? new Set<Waiter>();
    set.add(waiter);
    this.#waiting.set(id, set);
    this.#unsubscribe ??= this.#events.onInstancesReported(() =>
      this.#requestCheck(this.#waiting.keys()),
    );
    if (this.#recheckMs > 0 && this.#recheck === undefined) {
      this.#recheck = setInterval(() => this.#requestCheck(this.#waiting.keys()), this.#recheckMs);
      this.#recheck.unref();
    }
  }

  #remove(id: string, waiter: Waiter): void {
    const set = this.#waiting.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.#waiting.delete(id);
    if (this.#waiting.size === 0 && this.#unsubscribe !== undefined) {
      this.#unsubscribe();
      this.#unsubscribe = undefined;
      clearInterval(this.#recheck);
      this.#recheck = undefined;
    }
  }

  #requestCheck(ids: Iterable<string>): void {
    for (const id of ids) this.#dirty.add(id);
    if (this.#checking) return;

    this.#checking = true;
    void this.#drain().finally(() => {
      this.#checking = false;
    });
  }

  async #drain(): Promise<void> {
    while (this.#dirty.size > 0) {
      const ids = [...this.#dirty];
      this.#dirty.clear();
      for (const id of ids) await this.#check(id);
    }
  }

  async #check(id: string): Promise<void> {
    const first = this.#waiting.get(id)?.values().next().value;
    if (first === undefined) return;

    let row: InstanceRow | undefined;
    try {
      row = await this.#read(first.key);
    } catch (err) {
      for (const waiter of [...(this.#waiting.get(id) ?? [])]) waiter.settle(err as Error);
      return;
    }
    if (row !== undefined && isReady(row)) {
      for (const waiter of [...(this.#waiting.get(id) ?? [])]) waiter.settle(row);
    }
  }
}

/** True when the instance can hand out an endpoint: ACTIVE with at least one endpoint. */
export function isReady(row: InstanceRow): boolean {
  return row.state === 'ACTIVE' && (row.endpoints.length > 0 || row.endpoint !== '');
}

interface Waiter {
  key: InstanceIdentity;
  settle(outcome: InstanceRow | 'timeout' | Error): void;
}

function keyOf(key: InstanceIdentity): string {
  return JSON.stringify([key.supervisor_id, key.plugin_id, key.version]);
}
