import { status as grpcStatus } from '@grpc/grpc-js';
import { ApiError } from '../../src/transport/client/index.js';
import type { TestControlPlane } from './control-plane.js';

/** The eleven methods, by their gRPC names. */
export type MethodName =
  | 'publish'
  | 'register'
  | 'update'
  | 'deregister'
  | 'enable'
  | 'disable'
  | 'recover_plugin'
  | 'get'
  | 'list'
  | 'stat'
  | 'list_plugins';

/** A refused call as a test sees it, on either transport. */
export class CallFailed extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Calls the Supervisor API over one transport with the same JSON requests. */
export interface ApiAdapter {
  name: 'grpc' | 'rest';
  call(method: MethodName, request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The status a refusal of `kind` has on this transport. */
  statusOf(
    kind: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'NOT_FOUND' | 'PERMISSION_DENIED',
  ): number;
}

/** The adapter over real gRPC, through the project's client. */
export function grpcAdapter(t: TestControlPlane): ApiAdapter {
  return {
    name: 'grpc',
    async call(method, request) {
      try {
        return await t.client.call(method, request);
      } catch (err) {
        if (err instanceof ApiError) throw new CallFailed(err.code, err.grpcStatus, err.message);
        throw err;
      }
    },
    statusOf: (kind) => grpcStatus[kind],
  };
}

const HTTP_STATUS = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
};

/** The adapter over real HTTP, through the documented routes. */
export function restAdapter(t: TestControlPlane): ApiAdapter {
  return {
    name: 'rest',
    async call(method, request) {
      const { verb, path, body } = restRoute(method, request);
      const answer = await t.rest(verb, path, body);
      if (answer.status !== 200) {
        throw new CallFailed(
          String(answer.body['code']),
          answer.status,
          String(answer.body['message']),
        );
      }
      return answer.body;
    },
    statusOf: (kind) => HTTP_STATUS[kind],
  };
}

function restRoute(
  method: MethodName,
  request: Record<string, unknown>,
): { verb: string; path: string; body?: unknown } {
  const { supervisor_id: id, ...rest } = request;
  const sid = encodeURIComponent(String(id ?? ''));
  switch (method) {
    case 'publish':
      return { verb: 'POST', path: '/plugin/v1/supervisors', body: request };
    case 'register':
      return { verb: 'POST', path: `/plugin/v1/supervisor/${sid}/register`, body: rest };
    case 'update':
      return { verb: 'PUT', path: `/plugin/v1/supervisor/${sid}`, body: rest };
    case 'deregister':
      return { verb: 'DELETE', path: `/plugin/v1/supervisor/${sid}/register`, body: rest };
    case 'enable':
    case 'disable':
      return { verb: 'PUT', path: `/plugin/v1/supervisor/${sid}/${method}`, body: rest };
    case 'recover_plugin': {
      const { plugin_id, ...body } = rest;
      const pid = encodeURIComponent(String(plugin_id));
      return { verb: 'POST', path: `/plugin/v1/supervisor/${sid}/plugin/${pid}/recover`, body };
    }
    case 'get': {
      const qs = new URLSearchParams({ domain_id: String(request['domain_id']) });
      if (Array.isArray(request['only'])) qs.set('only', request['only'].join(','));
      return { verb: 'GET', path: `/plugin/v1/supervisor/${sid}?${qs.toString()}` };
    }
    case 'list':
      return { verb: 'POST', path: '/plugin/v1/supervisors/search', body: request };
    case 'stat':
      return { verb: 'POST', path: '/plugin/v1/supervisors/stat', body: request };
    case 'list_plugins':
      return { verb: 'POST', path: `/plugin/v1/supervisor/${sid}/plugins/search`, body: rest };
  }
}
