import { SupervisorStateError } from './errors.js';

/** Lifecycle states of a supervisor, as on the wire (SupervisorInfo.State). */
export const SUPERVISOR_STATES = ['ENABLED', 'DISABLED', 'PENDING', 'DISCONNECTED'] as const;
export type SupervisorState = (typeof SUPERVISOR_STATES)[number];

/** JSON object as carried by Struct fields (tags, labels). */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A supervisor record as the service layer sees it. Times are ISO 8601 UTC with milliseconds. */
export interface Supervisor {
  supervisor_id: string;
  name: string;
  hostname: string;
  state: SupervisorState;
  is_public: boolean;
  priority: number;
  domain_id: string;
  labels: JsonObject;
  tags: JsonObject;
  created_at: string;
  updated_at: string;
  last_seen_at: string;
}

/** Actions an operator can take on a supervisor's state. */
export type SupervisorAction = 'register' | 'enable' | 'disable';

const TRANSITIONS: Record<SupervisorAction, Partial<Record<SupervisorState, SupervisorState>>> = {
  register: { PENDING: 'ENABLED' },
  enable: { DISABLED: 'ENABLED', DISCONNECTED: 'ENABLED', ENABLED: 'ENABLED' },
  disable: { ENABLED: 'DISABLED', DISCONNECTED: 'DISABLED', DISABLED: 'DISABLED' },
};

/**
 * The state a supervisor moves to when `action` is applied in state `from`.
 *
 * @throws SupervisorStateError naming the action, the supervisor and its state when the action is
 *   not allowed from that state.
 */
export function nextSupervisorState(
  action: SupervisorAction,
  supervisorId: string,
  from: SupervisorState,
): SupervisorState {
  const to = TRANSITIONS[action][from];
  if (to === undefined) throw new SupervisorStateError(action, supervisorId, from);
  return to;
}

/** The states from which `action` is allowed, for building conditional updates. */
export function statesAllowing(action: SupervisorAction): SupervisorState[] {
  return Object.keys(TRANSITIONS[action]) as SupervisorState[];
}

/**
 * The state a publish (heartbeat) leaves a supervisor in: a DISCONNECTED supervisor that had been
 * accepted (registered or enabled by an operator) comes back to ENABLED; PENDING, ENABLED and
 * DISABLED are kept. A supervisor that became DISCONNECTED while still PENDING (never accepted)
 * stays DISCONNECTED until an operator enables it, since nobody has accepted it yet.
 */
export function stateAfterPublish(from: SupervisorState, wasRegistered: boolean): SupervisorState {
  if (from === 'DISCONNECTED' && wasRegistered) return 'ENABLED';
  return from;
}

/** Fields `update` may change. Any other field in an update request is an error naming it. */
export const UPDATABLE_SUPERVISOR_FIELDS = [
  'name',
  'is_public',
  'priority',
  'labels',
  'tags',
] as const;
