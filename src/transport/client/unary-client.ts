import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import type { ServiceDefinition as LoadedService } from '@grpc/proto-loader';
import { jsonToMessage, messageName, messageToJson } from '../proto-json.js';
import { loadProtos } from '../protos.js';
import { ApiError } from './api-error.js';

/** Options of a client. */
export interface ClientOptions {
  /** Sent as metadata `token` on every call. */
  token?: string;
  /** Per-call deadline in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** This call's deadline in milliseconds, instead of the client's. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The unary-call machinery every typed client shares: one channel to `address` for one service of
 * the project's protos, JSON requests converted to messages (Struct fields from plain objects),
 * answers converted back, the token sent as metadata `token`, and failures turned into
 * `ApiError`s carrying the SpaceONE error code. Typed clients extend it with one method per RPC.
 */
export class UnaryClient {
  readonly #client: Client;
  readonly #service: LoadedService;
  readonly #options: ClientOptions;

  /** `serviceName` is the full name (`spaceone.api.plugin.v1.Plugin`); `address` is `host:port`. */
  constructor(serviceName: string, address: string, options: ClientOptions = {}) {
    const defs = loadProtos('client');
    const loaded = loadPackageDefinition(defs) as unknown as Record<string, unknown>;
    const ctor = lookup(loaded, serviceName) as ServiceClientConstructor | undefined;
    if (typeof ctor !== 'function') throw new Error(`unknown service ${serviceName}`);
    this.#client = new ctor(address, credentials.createInsecure());
    this.#service = defs[serviceName] as LoadedService;
    this.#options = options;
  }

  /**
   * Calls method `name` (its lower-case wire name) with a JSON request; the deadline is the
   * call's `timeoutMs`, else the client's, else 30 s.
   *
   * @throws ApiError when the call fails, the server's refusals with their SpaceONE code.
   */
  call<T = Record<string, unknown>>(
    name: string,
    request: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<T> {
    const method = this.#service[name];
    if (method === undefined) return Promise.reject(new Error(`unknown method ${name}`));
    const defs = loadProtos('client');
    const message = jsonToMessage(defs, messageName(defs, method.requestType), request);
    const metadata = new Metadata();
    if (this.#options.token !== undefined) metadata.set('token', this.#options.token);
    const deadline =
      Date.now() + (options.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        message,
        metadata,
        { deadline },
        (err: ServiceError | null, value?: unknown) => {
          if (err !== null) return reject(ApiError.fromServiceError(err));
          resolve(messageToJson(defs, messageName(defs, method.responseType), value ?? {}) as T);
        },
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}

function lookup(root: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, part) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[part]
          : undefined,
      root,
    );
}
