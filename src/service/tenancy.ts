import { RequiredParameterError } from '../domain/index.js';
import type { Caller } from './caller.js';

/**
 * The domain a request acts on. A domain-scoped caller (domain admin, supervisor agent) always
 * acts on its token's domain, whatever the request body says. The system role acts on the
 * request's `domain_id`, else on the domain its metadata named.
 *
 * @throws RequiredParameterError (key domain_id) when neither names a domain.
 */
export function effectiveDomain(caller: Caller, requested: string | undefined): string {
  const domainId =
    caller.role === 'SYSTEM' ? (requested ?? caller.domainId) : (caller.domainId ?? requested);
  if (domainId === undefined || domainId === '') throw new RequiredParameterError('domain_id');
  return domainId;
}
