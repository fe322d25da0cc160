import type { Supervisor, SupervisorState } from './supervisor.js';
import { isoTime } from './time.js';

/**
 * A supervisor still PENDING this long after it was created becomes DISCONNECTED: nobody
 * registered it in time (the documented rule, SPEC §3).
 */
export const PENDING_TIMEOUT_MS = 5 * 60_000;

/** Default time an ENABLED supervisor may go without a publish before it is DISCONNECTED. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5 * 60_000;

export interface LivenessOptions {
  heartbeatTimeoutMs: number;
}

/**
 * The times before which a supervisor counts as silent, at `now`, as ISO strings that compare
 * correctly with the stored times: PENDING ones created strictly before `pendingCreatedBefore`
 * and ENABLED ones last seen strictly before `enabledSeenBefore` become DISCONNECTED. A
 * supervisor exactly at the limit is still alive.
 */
export function livenessCutoffs(
  now: Date,
  options: LivenessOptions,
): { pendingCreatedBefore: string; enabledSeenBefore: string } {
  return {
    pendingCreatedBefore: isoTime(new Date(now.getTime() - PENDING_TIMEOUT_MS)),
    enabledSeenBefore: isoTime(new Date(now.getTime() - options.heartbeatTimeoutMs)),
  };
}

/**
 * The state liveness leaves `supervisor` in at `now`: PENDING past the pending timeout and
 * ENABLED past the heartbeat timeout become DISCONNECTED; DISABLED (an operator's decision) and
 * DISCONNECTED are never changed here. The store applies the same rule as a conditional update.
 */
export function stateAfterSilence(
  supervisor: Pick<Supervisor, 'state' | 'created_at' | 'last_seen_at'>,
  now: Date,
  options: LivenessOptions,
): SupervisorState {
  const cutoffs = livenessCutoffs(now, options);
  if (supervisor.state === 'PENDING' && supervisor.created_at < cutoffs.pendingCreatedBefore) {
    return 'DISCONNECTED';
  }
  if (supervisor.state === 'ENABLED' && supervisor.last_seen_at < cutoffs.enabledSeenBefore) {
    return 'DISCONNECTED';
  }
  return supervisor.state;
}
