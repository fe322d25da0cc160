import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  livenessCutoffs,
  type LivenessOptions,
} from '../domain/liveness.js';
import type { SupervisorState } from '../domain/supervisor.js';
import { isoTime, systemClock, type Clock } from '../domain/time.js';
import type { Database } from '../store/schema.js';

/** How often the liveness job runs by default. */
export const DEFAULT_LIVENESS_INTERVAL_MS = 15_000;

/** One supervisor the liveness rule moved. */
export interface LivenessChange {
  supervisorId: string;
  domainId: string;
  from: SupervisorState;
  to: SupervisorState;
}

/**
 * Applies the liveness rule (src/domain/liveness.ts) once, as two conditional UPDATEs whose WHERE
 * clauses hold the whole rule (state and time). A row is changed only if it still matches when
 * the database writes it, so a publish racing with the job wins or loses cleanly, several
 * replicas may run the job at once, and running it twice changes nothing more. DISABLED and
 * DISCONNECTED rows are never touched.
 */
export async function applyLiveness(
  db: Kysely<Database>,
  options: Partial<LivenessOptions> & { clock?: Clock } = {},
): Promise<LivenessChange[]> {
  const now = (options.clock ?? systemClock).now();
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const cutoffs = livenessCutoffs(now, { heartbeatTimeoutMs });

  const pending = await disconnect(db, 'PENDING', 'created_at', cutoffs.pendingCreatedBefore, now);
  const enabled = await disconnect(db, 'ENABLED', 'last_seen_at', cutoffs.enabledSeenBefore, now);
  return [...pending, ...enabled];
}

/** A running liveness job; `stop` waits for a pass in progress. */
export interface LivenessJob {
  stop(): Promise<void>;
  /** Runs one pass now (also what the timer does); resolves to what it changed. */
  runOnce(): Promise<LivenessChange[]>;
}

export interface LivenessJobOptions extends Partial<LivenessOptions> {
  db: Kysely<Database>;
  logger: Logger;
  clock?: Clock;
  intervalMs?: number;
}

/**
 * Runs `applyLiveness` every `intervalMs` (default 15 s) until stopped, logging each transition
 * at info. A failed pass is logged at warn and retried at the next tick; passes never overlap.
 * The timer decides only when to look, never a supervisor's state.
 */
export function startLivenessJob(options: LivenessJobOptions): LivenessJob {
  const intervalMs = options.intervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<LivenessChange[]> => {
    const changes = await applyLiveness(options.db, options);
    for (const change of changes) {
      options.logger.info(change, 'Supervisor state changed by liveness');
    }
    return changes;
  };
  const tick = (): void => {
    running = runOnce()
      .catch((err: unknown) => options.logger.warn({ err }, 'Liveness pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };

  timer = setTimeout(tick, 0).unref();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

async function disconnect(
  db: Kysely<Database>,
  from: 'PENDING' | 'ENABLED',
  timeColumn: 'created_at' | 'last_seen_at',
  before: string,
  now: Date,
): Promise<LivenessChange[]> {
  const rows = await db
    .updateTable('supervisors')
    .set({ state: 'DISCONNECTED', updated_at: isoTime(now) })
    .where('state', '=', from)
    .where(timeColumn, '<', before)
    .returning(['supervisor_id', 'domain_id'])
    .execute();
  return rows.map((row) => ({
    supervisorId: row.supervisor_id,
    domainId: row.domain_id,
    from,
    to: 'DISCONNECTED' as const,
  }));
}
