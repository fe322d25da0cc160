import type { Logger } from 'pino';
import { isoTime, type Clock } from '../domain/index.js';
import type { Store } from '../store/index.js';
import {
  PluginEndpointRepository,
  type InstanceIdentity,
} from '../store/plugin-endpoint-repository.js';
import type { ServiceEvents } from './events.js';

/** Instances whose endpoint was not handed out for this long are removed (three days). */
export const DEFAULT_UNUSED_AFTER_MS = 3 * 24 * 60 * 60 * 1000;
/** How often `serve` runs the cleanup (ten minutes). */
export const DEFAULT_CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
/** Instances looked at per batch. */
const BATCH_SIZE = 200;

/** Options of the cleanup job. */
export interface CleanupJobOptions {
  store: Store;
  events: ServiceEvents;
  clock: Clock;
  logger: Logger;
  /** Default `DEFAULT_UNUSED_AFTER_MS`. */
  unusedAfterMs?: number;
  /** Default `DEFAULT_CLEANUP_INTERVAL_MS`. */
  intervalMs?: number;
}

/**
 * Removes unused instances: those whose endpoint has not been handed out for `unusedAfterMs`
 * (never-used ones counted from their creation), in any state including ERROR, together with the
 * rows of the domains that used them and their single-flight claims. Agents then see them gone
 * from list_plugins and delete their workloads.
 *
 * Safe to run in several replicas at once: each delete re-checks the condition in its own
 * statement, so an instance is deleted once, and one handed out meanwhile is kept.
 */
export class CleanupJob {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #unusedAfterMs: number;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: CleanupJobOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#unusedAfterMs = options.unusedAfterMs ?? DEFAULT_UNUSED_AFTER_MS;
    this.#intervalMs = options.intervalMs ?? DEFAULT_CLEANUP_INTERVAL_MS;
  }

  /**
   * One pass: deletes every instance unused since `now - unusedAfterMs`.
   *
   * @returns the instances this call deleted (another replica's deletions are not included).
   */
  async runOnce(): Promise<InstanceIdentity[]> {
    const cutoff = isoTime(new Date(this.#clock.now().getTime() - this.#unusedAfterMs));
    const deleted: InstanceIdentity[] = [];

    // A key whose delete did not happen (gone, or used meanwhile) no longer matches the query,
    // so every batch makes progress; a batch that deletes nothing ends the pass regardless.
    for (;;) {
      const batch = await new PluginEndpointRepository(this.#store.db).findUnused(
        cutoff,
        BATCH_SIZE,
      );
      let progress = 0;
      for (const key of batch) {
        if (await this.#deleteOne(key, cutoff)) {
          deleted.push(key);
          progress++;
        }
      }
      if (batch.length < BATCH_SIZE || progress === 0) break;
    }

    this.#announce(deleted);
    return deleted;
  }

  /** Runs `runOnce` every interval until `stop`; failures are logged and retried next time. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #tick(): void {
    if (this.#running !== undefined) return;
    this.#running = this.runOnce()
      .catch((err: unknown) => this.#log.warn({ err }, 'Cleanup of unused plugins failed'))
      .finally(() => {
        this.#running = undefined;
      });
  }

  async #deleteOne(key: InstanceIdentity, cutoff: string): Promise<boolean> {
    return this.#store.db
      .transaction()
      .execute((trx) => new PluginEndpointRepository(trx).deleteIfUnused(key, cutoff));
  }

  #announce(deleted: readonly InstanceIdentity[]): void {
    for (const supervisorId of new Set(deleted.map((k) => k.supervisor_id))) {
      this.#events.desiredChanged(supervisorId);
    }
    for (const key of deleted) {
      this.#log.info(
        { supervisorId: key.supervisor_id, pluginId: key.plugin_id, version: key.version },
        'Unused installed plugin removed',
      );
    }
  }
}
