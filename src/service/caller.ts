/**
 * Who is calling, as established by the transport (from the token) before any service method
 * runs. Services decide tenancy from this and never from request bodies alone.
 */

/** The roles a token can carry. */
export type Role = 'SYSTEM' | 'DOMAIN_ADMIN' | 'SUPERVISOR';

export interface Caller {
  role: Role;
  /**
   * The caller's domain. For DOMAIN_ADMIN and SUPERVISOR it is the token's domain; for SYSTEM it
   * is the domain named by metadata `x_domain_id`, or undefined (then the request's `domain_id`
   * is used).
   */
  domainId: string | undefined;
  /** For SUPERVISOR tokens: the supervisor name the agent may act as. */
  supervisorName?: string;
  /** Correlates log lines and INTERNAL errors with one request. */
  requestId: string;
}
