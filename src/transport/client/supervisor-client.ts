import type { InstalledPlugin, Supervisor } from '../../domain/index.js';
import { UnaryClient, type ClientOptions } from './unary-client.js';

export type { ClientOptions } from './unary-client.js';

const SERVICE = 'spaceone.api.plugin.v1.Supervisor';

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
export class SupervisorClient extends UnaryClient {
  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    super(SERVICE, address, options);
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
}
