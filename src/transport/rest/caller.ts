import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenFromAuthorization, type Authenticator } from '../../auth/index.js';
import type { Caller } from '../../service/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook before any route handler runs. */
    plugvisorCaller: Caller | null;
  }
}

/**
 * Authenticates every routed request before its handler: `Authorization: Bearer <token>` and,
 * for the system role, header `x-domain-id` (or `x_domain_id`, as the gRPC metadata is spelt). A missing or bad token answers 401
 * ERROR_AUTHENTICATE_FAILURE through the server's error handler; the route never runs.
 */
export function authenticateRequests(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('plugvisorCaller', null);
  app.addHook('preHandler', async (request) => {
    request.plugvisorCaller = await authenticator.authenticate({
      token: tokenFromAuthorization(headerText(request, 'authorization')),
      xDomainId: headerText(request, 'x-domain-id') ?? headerText(request, 'x_domain_id'),
      requestId: request.id,
    });
  });
}

/**
 * The caller of one REST request, as the authentication hook established it.
 *
 * @throws Error when called outside a routed request (a wiring mistake, reported as INTERNAL).
 */
export function callerFrom(request: FastifyRequest): Caller {
  if (request.plugvisorCaller === null) throw new Error('request was not authenticated');
  return request.plugvisorCaller;
}

function headerText(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
