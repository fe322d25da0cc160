import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import type { ServiceDefinition as LoadedService } from '@grpc/proto-loader';
import type { InstalledPlugin, Supervisor } from '../../domain/index.js';
import { jsonToMessage, messageName, messageToJson } from '../proto-json.js';
import { loadProtos } from '../protos.js';
import { ApiError } from './api-error.js';

const SERVICE = 'spaceone.api.plugin.v1.Supervisor';

/** Options of a client. */
export interface ClientOptions {
  /** Sent as metadata `token` on every call. */
  token?: string;
  /** Per-call deadline in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** A page of results as the API answers it. */
export interface ListAnswer<T> {
  results: T[];
  total_count: number;
}

/**
 * A typed gRPC client of `spaceone.api.plugin.v1.Supervisor`, built from the project's protos.
 * Requests and answers are plain JSON (Struct fields as objects, enums as strings); failures are
 * `ApiError`s carrying the SpaceONE error code.
 */
export class SupervisorClient {
  readonly #client: Client;
  readonly #service: LoadedService;
  readonly #options: ClientOptions;

  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    const defs = loadProtos('client');
    const loaded = loadPackageDefinition(defs) as unknown as Record<string, unknown>;
    const ctor = lookup(loaded, SERVICE) as ServiceClientConstructor;
    this.#client = new ctor(address, credentials.createInsecure());
    this.#service = defs[SERVICE] as LoadedService;
    this.#options = options;
  }

  publish(request: Record<string, unknown>): Promise<Supervisor> {
    return this.call<Supervisor>('publish', request);
  }
  register(request: Record<string, unknown>): Promise<Supervisor> {
    return this.call<Supervisor>('register', request);
  }
  update(request: Record<string, unknown>): Promise<Supervisor> {
    return this.call<Supervisor>('update', request);
  }
  async deregister(request: Record<string, unknown>): Promise<void> {
    await this.call('deregister', request);
  }
  enable(request: Record<string, unknown>): Promise<Supervisor> {
    return this.call<Supervisor>('enable', request);
  }
  disable(request: Record<string, unknown>): Promise<Supervisor> {
    return this.call<Supervisor>('disable', request);
  }
  recoverPlugin(request: Record<string, unknown>): Promise<InstalledPlugin> {
    return this.call<InstalledPlugin>('recover_plugin', request);
  }
  get(request: Record<string, unknown>): Promise<Partial<Supervisor>> {
    return this.call<Partial<Supervisor>>('get', request);
  }
  list(request: Record<string, unknown>): Promise<ListAnswer<Partial<Supervisor>>> {
    return this.call<ListAnswer<Partial<Supervisor>>>('list', request);
  }
  stat(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.call('stat', request);
  }
  listPlugins(request: Record<string, unknown>): Promise<ListAnswer<Partial<InstalledPlugin>>> {
    return this.call<ListAnswer<Partial<InstalledPlugin>>>('list_plugins', request);
  }

  /** Calls method `name` (its lower-case wire name) with a JSON request. */
  call<T = Record<string, unknown>>(name: string, request: Record<string, unknown>): Promise<T> {
    const method = this.#service[name];
    if (method === undefined) return Promise.reject(new Error(`unknown method ${name}`));
    const defs = loadProtos('client');
    const message = jsonToMessage(defs, messageName(defs, method.requestType), request);
    const metadata = new Metadata();
    if (this.#options.token !== undefined) metadata.set('token', this.#options.token);
    const deadline = Date.now() + (this.#options.timeoutMs ?? 30_000);

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
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root);
}
