import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
} from 'fastify';
import type { Logger } from 'pino';
import { PlugvisorError } from '../../domain/index.js';
import type { Services } from '../../service/index.js';
import type { Authenticator } from '../../auth/index.js';
import { STATUS_BY_KIND } from '../errors.js';
import { authenticateRequests } from './caller.js';
import { pluginRoutes } from './plugin-routes.js';
import { supervisorRoutes } from './supervisor-routes.js';

/** One API resource over REST: a Fastify plugin given the services (Supervisor, Plugin). */
export type RestModule = (services: Services) => FastifyPluginAsync;

/** The modules `buildRestServer` serves when none are given. */
export const DEFAULT_REST_MODULES: readonly RestModule[] = [supervisorRoutes, pluginRoutes];

/** Options of `buildRestServer`. */
export interface RestServerOptions {
  logger: Logger;
  /** Establishes each request's caller from `Authorization: Bearer` and `x-domain-id`. */
  authenticator: Authenticator;
  modules?: readonly RestModule[];
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
}

/**
 * Builds (does not start) the REST server: JSON bodies, `{ code, message }` errors with the status
 * of the error's kind, request logs at debug, unexpected errors as 500 with a request id.
 */
export async function buildRestServer(
  services: Services,
  options: RestServerOptions,
): Promise<FastifyInstance> {
  const log = options.logger;
  const app = Fastify({
    // Fastify's own lines (such as "Server listening") stay quiet; the control plane logs its one
    // start-up line, and requests are logged at debug by the hook below.
    loggerInstance: log.child(
      {},
      { level: log.levelVal > 40 ? log.level : 'warn' },
    ) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Errors Fastify raises before routing (a malformed URL, an unparseable id) answer like ours.
    frameworkErrors: (err, _request, reply) => {
      void (reply as unknown as FastifyReply)
        .code(400)
        .send({ code: 'ERROR_INVALID_PARAMETER', message: `invalid request (${err.message})` });
    },
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorResponse(err, request.id);
    if (status >= 500)
      log.error({ err, requestId: request.id, url: request.url }, 'REST request failed');
    void reply.code(status).header('x-request-id', request.id).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      code: 'ERROR_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    });
  });
  app.addHook('onResponse', (request, reply, done) => {
    log.debug(
      {
        requestId: request.id,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'REST request served',
    );
    done();
  });

  authenticateRequests(app, options.authenticator);

  for (const module of options.modules ?? DEFAULT_REST_MODULES) {
    await app.register(module(services));
  }
  return app;
}

/** The status and `{ code, message }` body of any error a route or Fastify raised. */
function errorResponse(
  err: unknown,
  requestId: string,
): { status: number; body: { code: string; message: string } } {
  if (err instanceof PlugvisorError && err.kind !== 'INTERNAL') {
    return {
      status: STATUS_BY_KIND[err.kind].http,
      body: { code: err.code, message: err.message },
    };
  }
  const status = (err as FastifyError | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own client errors: unparseable JSON, wrong content type, body too large.
    const message = err instanceof Error ? err.message : 'bad request';
    return {
      status,
      body: { code: 'ERROR_INVALID_PARAMETER', message: `invalid request (${message})` },
    };
  }
  return {
    status: 500,
    body: { code: 'ERROR_INTERNAL_API', message: `internal error (request_id = ${requestId})` },
  };
}
