import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidParameterError } from '../../domain/index.js';
import type { Caller, Services } from '../../service/index.js';
import { callerFrom } from './caller.js';

type UseCase = (caller: Caller, request: Record<string, unknown>) => Promise<unknown>;

/** How a GET query string maps to request fields that are not strings. */
interface QueryCoercion {
  booleans?: readonly string[];
  lists?: readonly string[];
  json?: readonly string[];
}

const LIST_COERCION: QueryCoercion = { booleans: ['is_public'], json: ['query'] };

/**
 * The Supervisor API's REST routes (SPEC §2). Bodies are JSON objects; path parameters fill the
 * same fields, and a body that names another value for a path field is an invalid parameter. GET
 * routes read their fields from the query string (`query` as JSON text, `only` comma-separated).
 */
export function supervisorRoutes(services: Services): FastifyPluginAsync {
  const s = services.supervisors;
  return async (app) => {
    const route = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      useCase: UseCase,
      coercion?: QueryCoercion,
    ) => {
      app.route({
        method,
        url,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const input = requestFields(request, coercion);
          const answer = await useCase(callerFrom(request), input);
          return reply.code(200).send(answer ?? {});
        },
      });
    };

    route('POST', '/plugin/v1/supervisors', (c, r) => s.publish(c, r));
    route('POST', '/plugin/v1/supervisor/:supervisor_id/register', (c, r) => s.register(c, r));
    route('PUT', '/plugin/v1/supervisor/:supervisor_id', (c, r) => s.update(c, r));
    route('DELETE', '/plugin/v1/supervisor/:supervisor_id/register', async (c, r) => {
      await s.deregister(c, r);
      return {};
    });
    route('PUT', '/plugin/v1/supervisor/:supervisor_id/enable', (c, r) => s.enable(c, r));
    route('PUT', '/plugin/v1/supervisor/:supervisor_id/disable', (c, r) => s.disable(c, r));
    route('POST', '/plugin/v1/supervisor/:supervisor_id/plugin/:plugin_id/recover', (c, r) =>
      s.recoverPlugin(c, r),
    );
    route('GET', '/plugin/v1/supervisor/:supervisor_id', (c, r) => s.get(c, r), {
      lists: ['only'],
    });
    route('GET', '/plugin/v1/supervisors', (c, r) => s.list(c, r), LIST_COERCION);
    route('POST', '/plugin/v1/supervisors/search', (c, r) => s.list(c, r));
    route('POST', '/plugin/v1/supervisors/stat', (c, r) => s.stat(c, r));
    route(
      'GET',
      '/plugin/v1/supervisor/:supervisor_id/plugins',
      (c, r) => s.listPlugins(c, r),
      LIST_COERCION,
    );
    route('POST', '/plugin/v1/supervisor/:supervisor_id/plugins/search', (c, r) =>
      s.listPlugins(c, r),
    );
    await Promise.resolve();
  };
}

/**
 * The request's fields: the JSON body (or, for GET, the query string), then the path parameters.
 *
 * @throws InvalidParameterError when the body is not an object or disagrees with the path.
 */
export function requestFields(
  request: FastifyRequest,
  coercion: QueryCoercion | undefined,
): Record<string, unknown> {
  const fields = { ...bodyObject(request.body), ...coerceQuery(request.query, coercion) };
  const params = (request.params ?? {}) as Record<string, string>;
  for (const [key, value] of Object.entries(params)) {
    if (fields[key] !== undefined && fields[key] !== value) {
      throw new InvalidParameterError(key, 'the body and the path name different values');
    }
    fields[key] = value;
  }
  return fields;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidParameterError('request', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function coerceQuery(query: unknown, coercion: QueryCoercion | undefined): Record<string, unknown> {
  if (coercion === undefined || typeof query !== 'object' || query === null) return {};
  const out: Record<string, unknown> = { ...(query as Record<string, unknown>) };
  for (const key of coercion.booleans ?? []) {
    if (out[key] === 'true') out[key] = true;
    else if (out[key] === 'false') out[key] = false;
  }
  for (const key of coercion.lists ?? []) {
    const value = out[key];
    if (typeof value === 'string') out[key] = value.split(',').filter((v) => v !== '');
  }
  for (const key of coercion.json ?? []) {
    const value = out[key];
    if (typeof value === 'string') out[key] = parseJsonParameter(key, value);
  }
  return out;
}

function parseJsonParameter(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidParameterError(key, 'must be JSON text');
  }
}
