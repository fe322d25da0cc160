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
import type { ClientOptions } from './supervisor-client.js';

const SERVICE = 'spaceone.api.plugin.v1.Plugin';

/** What get_plugin_endpoint answers. */
export interface PluginEndpointAnswer {
  endpoint: string;
  access_token: string;
  updated_version: string;
}

/**
 * A typed gRPC client of `spaceone.api.plugin.v1.Plugin`. get_plugin_endpoint may wait for an
 * instance to be deployed: give it a `timeoutMs` above the server's install timeout (150 s by
 * default) or pass a shorter one per call. Failures are `ApiError`s.
 */
export class PluginClient {
  readonly #client: Client;
  readonly #service: LoadedService;
  readonly #options: ClientOptions;

  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    const defs = loadProtos('client');
    const loaded = loadPackageDefinition(defs) as unknown as Record<string, unknown>;
    const ctor = SERVICE.split('.').reduce<unknown>(
      (node, part) => (node as Record<string, unknown>)[part],
      loaded,
    ) as ServiceClientConstructor;
    this.#client = new ctor(address, credentials.createInsecure());
    this.#service = defs[SERVICE] as LoadedService;
    this.#options = options;
  }

  getPluginEndpoint(
    request: Record<string, unknown>,
    call: { timeoutMs?: number } = {},
  ): Promise<PluginEndpointAnswer> {
    return this.#call('get_plugin_endpoint', request, call.timeoutMs ?? 200_000);
  }

  async notifyFailure(request: Record<string, unknown>): Promise<void> {
    await this.#call('notify_failure', request);
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }

  #call<T>(name: string, request: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    const method = this.#service[name];
    if (method === undefined) return Promise.reject(new Error(`unknown method ${name}`));
    const defs = loadProtos('client');
    const message = jsonToMessage(defs, messageName(defs, method.requestType), request);
    const metadata = new Metadata();
    if (this.#options.token !== undefined) metadata.set('token', this.#options.token);
    const deadline = Date.now() + (timeoutMs ?? this.#options.timeoutMs ?? 30_000);

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
}
