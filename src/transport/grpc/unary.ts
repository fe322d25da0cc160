import {
  Metadata,
  status,
  type Server,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
  type handleUnaryCall,
} from '@grpc/grpc-js';
import type { ServiceDefinition as LoadedService, PackageDefinition } from '@grpc/proto-loader';
import type { Logger } from 'pino';
import { InvalidParameterError, PlugvisorError } from '../../domain/index.js';
import type { Caller } from '../../service/index.js';
import { STATUS_BY_KIND, grpcDetails } from '../errors.js';
import { jsonToMessage, messageName, messageToJson } from '../proto-json.js';
import type { Authenticator } from '../../auth/index.js';
import { callerFrom, requestIdFrom } from './caller.js';

/**
 * A use case as the gRPC edge calls it: the caller and the request as JSON, the answer as JSON.
 * `signal` aborts when the client cancels the call or its deadline passes, so that a long wait
 * (get_plugin_endpoint) ends with it.
 */
export type UnaryUseCase = (
  caller: Caller,
  request: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<unknown>;

/** Everything a handler needs besides its use case. */
export interface HandlerContext {
  defs: PackageDefinition;
  logger: Logger;
  authenticator: Authenticator;
}

/**
 * Wraps a use case as a grpc-js unary handler: builds the caller, converts the request from the
 * proto-loader form (Struct → JSON), converts the answer back, and reports failures as a status
 * whose details read `ERROR_CODE: message`. Unexpected errors become INTERNAL with a request id and
 * are logged with their cause; nothing a request does can crash the server.
 */
export function unaryHandler(
  ctx: HandlerContext,
  method: { path: string; requestType: string; responseType: string },
  useCase: UnaryUseCase,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = Date.now();
    let caller: Caller | undefined;
    const cancelled = new AbortController();
    let answered = false;
    // grpc-js also emits 'cancelled' after every answer it sent: only an earlier one is the client's.
    call.once('cancelled', () => {
      if (!answered) cancelled.abort(new Error('the client cancelled the call'));
    });
    const run = async (): Promise<unknown> => {
      caller = await callerFrom(ctx.authenticator, call.metadata);
      if (isUndecodable(call.request)) {
        throw new InvalidParameterError('request', `not a valid ${method.requestType} message`);
      }
      const request = messageToJson(ctx.defs, method.requestType, call.request);
      const answer = await useCase(caller, request, cancelled.signal);
      return jsonToMessage(ctx.defs, method.responseType, answer ?? {});
    };
    run().then(
      (response) => {
        answered = true;
        ctx.logger.debug(
          { method: method.path, requestId: caller?.requestId, durationMs: Date.now() - started },
          'gRPC request served',
        );
        callback(null, response);
      },
      (err: unknown) => {
        answered = true;
        const requestId = caller?.requestId ?? requestIdFrom(call.metadata);
        const durationMs = Date.now() - started;
        if (cancelled.signal.aborted) {
          // The client is gone; nobody reads this answer and nothing failed on our side.
          ctx.logger.debug({ method: method.path, requestId, durationMs }, 'gRPC call cancelled');
          callback({ code: status.CANCELLED, details: 'cancelled by the client' });
          return;
        }
        callback(toServiceError(ctx.logger, method.path, requestId, err, durationMs));
      },
    );
  };
}

function toServiceError(
  logger: Logger,
  path: string,
  requestId: string,
  err: unknown,
  durationMs: number,
): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  if (err instanceof PlugvisorError && err.kind !== 'INTERNAL') {
    logger.debug({ method: path, requestId, code: err.code, durationMs }, 'gRPC request refused');
    return { code: STATUS_BY_KIND[err.kind].grpc, details: grpcDetails(err), metadata };
  }
  logger.error({ method: path, requestId, err, durationMs }, 'gRPC request failed');
  return {
    code: status.INTERNAL,
    details: grpcDetails({
      code: 'ERROR_INTERNAL_API',
      message: `internal error (request_id = ${requestId})`,
    }),
    metadata,
  };
}

const UNDECODABLE = Symbol('undecodable request');

/**
 * The same service definition with request decoders that never throw: bytes that are not a valid
 * message become a marker the handler answers with INVALID_ARGUMENT (grpc-js itself would answer
 * INTERNAL, which is reserved for our own faults).
 */
export function withTolerantDecoders<
  D extends Record<string, { requestDeserialize: (b: Buffer) => unknown }>,
>(definition: D): D {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return { [UNDECODABLE]: true };
        }
      },
    };
  }
  return out as D;
}

/** True for the marker `withTolerantDecoders` puts in place of bytes it could not decode. */
export function isUndecodable(request: unknown): boolean {
  return typeof request === 'object' && request !== null && UNDECODABLE in request;
}

/**
 * Adds the loaded service `serviceName` to `server`, one unary handler per method, with the
 * tolerant decoders. Every method of the service must have a use case: a proto method without
 * one fails at start-up, not at the first call.
 */
export function addUnaryService(
  server: Server,
  ctx: HandlerContext,
  serviceName: string,
  useCases: Readonly<Record<string, UnaryUseCase>>,
): void {
  const definition = ctx.defs[serviceName] as LoadedService;
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const useCase = useCases[name];
    if (useCase === undefined) throw new Error(`no handler for ${serviceName}/${name}`);
    implementation[name] = unaryHandler(
      ctx,
      {
        path: method.path,
        requestType: messageName(ctx.defs, method.requestType),
        responseType: messageName(ctx.defs, method.responseType),
      },
      useCase,
    );
  }
  server.addService(withTolerantDecoders(definition) as ServiceDefinition, implementation);
}
