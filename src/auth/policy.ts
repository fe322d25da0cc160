/**
 * Who may do what (SPEC §6), as pure functions over the Caller that the services call at the top
 * of every method. The rules:
 *
 * - SYSTEM acts in any domain, chosen by the request's `domain_id` or else metadata
 *   `x_domain_id`; it alone sets or changes `is_public` and manages public supervisors.
 * - DOMAIN_ADMIN acts in its token's domain only; the request's `domain_id` is ignored. Another
 *   domain's supervisor is NOT_FOUND, never PERMISSION_DENIED, so its existence never leaks.
 * - SUPERVISOR (an agent) may only `publish` as the supervisor name in its token, and
 *   `list_plugins` and `watch` of the supervisors of that name in its domain; any other method is
 *   PERMISSION_DENIED whatever its target, which reveals nothing.
 */
import { NotFoundError, PermissionDeniedError, RequiredParameterError } from '../domain/errors.js';
import type { Caller } from '../service/caller.js';

/** Every API method, by its gRPC name. */
export const API_METHODS = [
  'publish',
  'register',
  'update',
  'deregister',
  'enable',
  'disable',
  'recover_plugin',
  'get',
  'list',
  'stat',
  'list_plugins',
  'get_plugin_endpoint',
  'notify_failure',
  // plugvisor.v1.AgentChannel: an agent learns of changes to its desired set.
  'watch',
] as const;
export type ApiMethod = (typeof API_METHODS)[number];

/** The methods an agent token may call; SYSTEM and DOMAIN_ADMIN may call every method. */
export const SUPERVISOR_METHODS: readonly ApiMethod[] = ['publish', 'list_plugins', 'watch'];

/**
 * @throws PermissionDeniedError when the caller's role may not call `method` at all.
 */
export function assertMayCall(caller: Caller, method: ApiMethod): void {
  if (caller.role === 'SUPERVISOR' && !SUPERVISOR_METHODS.includes(method)) {
    throw new PermissionDeniedError(`a supervisor token may not call ${method}`);
  }
}

/**
 * The domain a request acts in. SYSTEM: the request's `domain_id` if given, else metadata
 * `x_domain_id` (or the token's default domain). Every other role: the token's domain, whatever
 * the request says.
 *
 * @throws RequiredParameterError('domain_id') when no domain can be determined.
 */
export function effectiveDomain(caller: Caller, requestDomainId: string | undefined): string {
  const domainId =
    caller.role === 'SYSTEM'
      ? (nonEmptyOrUndefined(requestDomainId) ?? caller.domainId)
      : caller.domainId;
  if (domainId === undefined || domainId === '') throw new RequiredParameterError('domain_id');
  return domainId;
}

/**
 * Only SYSTEM sets or changes `is_public`. `requested` undefined means the request leaves it
 * alone; a request that asks for the value it already has (`current`) changes nothing and is
 * allowed.
 *
 * @throws PermissionDeniedError when another role would set or change it.
 */
export function assertMaySetPublic(
  caller: Caller,
  requested: boolean | undefined,
  current = false,
): void {
  if (caller.role === 'SYSTEM' || requested === undefined || requested === current) return;
  throw new PermissionDeniedError('only the system role may set or change is_public');
}

/**
 * An agent publishes only as the supervisor named in its token; SYSTEM and DOMAIN_ADMIN may
 * publish any name (by hand).
 *
 * @throws PermissionDeniedError for an agent publishing under another name.
 */
export function assertMayPublishAs(caller: Caller, name: string): void {
  if (caller.role !== 'SUPERVISOR' || caller.supervisorName === name) return;
  throw new PermissionDeniedError('a supervisor token may publish only as its own supervisor');
}

/** The parts of a supervisor the access rules look at. */
export interface GuardedSupervisor {
  supervisor_id: string;
  domain_id: string;
  is_public: boolean;
  name: string;
}

/**
 * True when `supervisor` belongs to the domain the request acts in (and, for an agent, carries
 * its name). Public supervisors of other domains are not visible to list/get/stat: they are
 * visible to every domain for placement only.
 */
export function maySee(caller: Caller, domainId: string, supervisor: GuardedSupervisor): boolean {
  if (supervisor.domain_id !== domainId) return false;
  return caller.role !== 'SUPERVISOR' || supervisor.name === caller.supervisorName;
}

/**
 * For get and the like.
 *
 * @throws NotFoundError('supervisor_id', id) when the caller may not see the supervisor, exactly
 *   as if it did not exist.
 */
export function assertMaySee(
  caller: Caller,
  domainId: string,
  supervisor: GuardedSupervisor | undefined,
  supervisorId: string,
): asserts supervisor is GuardedSupervisor {
  if (supervisor === undefined || !maySee(caller, domainId, supervisor)) {
    throw new NotFoundError('supervisor_id', supervisorId);
  }
}

/**
 * For register, update, deregister, enable, disable and recover_plugin: the supervisor must be
 * visible, and a public one is managed by SYSTEM only.
 *
 * @throws NotFoundError when it is not visible; PermissionDeniedError when it is public and the
 *   caller is not SYSTEM.
 */
export function assertMayManage(
  caller: Caller,
  domainId: string,
  supervisor: GuardedSupervisor | undefined,
  supervisorId: string,
): asserts supervisor is GuardedSupervisor {
  assertMaySee(caller, domainId, supervisor, supervisorId);
  if (supervisor.is_public && caller.role !== 'SYSTEM') {
    throw new PermissionDeniedError('only the system role may manage a public supervisor');
  }
}

/**
 * What `list_plugins` may return: the instances the domain sees, narrowed for an agent to the
 * supervisors that carry its name. Services add `supervisorName` as a filter on
 * `supervisor_name`, so an agent naming another supervisor finds nothing.
 */
export function pluginScope(
  caller: Caller,
  requestDomainId: string | undefined,
): { domainId: string; supervisorName?: string } {
  const domainId = effectiveDomain(caller, requestDomainId);
  if (caller.role !== 'SUPERVISOR') return { domainId };
  if (caller.supervisorName === undefined) {
    throw new PermissionDeniedError('a supervisor token must name its supervisor');
  }
  return { domainId, supervisorName: caller.supervisorName };
}

function nonEmptyOrUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
