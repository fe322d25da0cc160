import { UnaryClient, type ClientOptions } from './unary-client.js';

const SERVICE = 'spaceone.api.plugin.v1.Plugin';

/** The answer of get_plugin_endpoint (PluginEndpoint). */
export interface PluginEndpointAnswer {
  endpoint: string;
  access_token: string;
  /** The version resolved by `upgrade_mode: AUTO`; '' when none was resolved. */
  updated_version: string;
}

/**
 * A typed gRPC client of `spaceone.api.plugin.v1.Plugin`: requests and answers are plain JSON
 * (labels as an object, `upgrade_mode` as 'MANUAL' | 'AUTO'); failures are `ApiError`s.
 */
export class PluginClient extends UnaryClient {
  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    super(SERVICE, address, options);
  }

  /** Finds or deploys an instance of `plugin_id@version` and answers one of its endpoints. */
  getPluginEndpoint(request: Record<string, unknown>): Promise<PluginEndpointAnswer> {
    return this.call<PluginEndpointAnswer>('get_plugin_endpoint', request);
  }

  /** Marks the instance ERROR so that its supervisor's agent recreates it. */
  async notifyFailure(request: Record<string, unknown>): Promise<void> {
    await this.call('notify_failure', request);
  }
}
