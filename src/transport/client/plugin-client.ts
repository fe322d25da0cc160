import { UnaryClient, type CallOptions, type ClientOptions } from './unary-client.js';

const SERVICE = 'spaceone.api.plugin.v1.Plugin';

/**
 * get_plugin_endpoint's default deadline: above the server's default install timeout (150 s), so
 * that a cold start is answered by the server rather than cut off by the client.
 */
export const DEFAULT_ENDPOINT_TIMEOUT_MS = 200_000;

/** What get_plugin_endpoint answers (PluginEndpoint). */
export interface PluginEndpointAnswer {
  endpoint: string;
  access_token: string;
  /** The version resolved by `upgrade_mode: AUTO`; '' when none was resolved. */
  updated_version: string;
}

/**
 * A typed gRPC client of `spaceone.api.plugin.v1.Plugin`: requests and answers are plain JSON
 * (labels as an object, `upgrade_mode` as 'MANUAL' | 'AUTO'); failures are `ApiError`s.
 * get_plugin_endpoint may wait for an instance to be deployed, so its deadline is the call's
 * `timeoutMs`, else the client's, else `DEFAULT_ENDPOINT_TIMEOUT_MS`.
 */
export class PluginClient extends UnaryClient {
  readonly #endpointTimeoutMs: number;

  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    super(SERVICE, address, options);
    this.#endpointTimeoutMs = options.timeoutMs ?? DEFAULT_ENDPOINT_TIMEOUT_MS;
  }

  /** Finds or deploys an instance of `plugin_id@version` and answers one of its endpoints. */
  getPluginEndpoint(
    request: Record<string, unknown>,
    call: CallOptions = {},
  ): Promise<PluginEndpointAnswer> {
    return this.call<PluginEndpointAnswer>('get_plugin_endpoint', request, {
      timeoutMs: call.timeoutMs ?? this.#endpointTimeoutMs,
    });
  }

  /** Marks the instance ERROR so that its supervisor's agent recreates it. */
  async notifyFailure(request: Record<string, unknown>, call: CallOptions = {}): Promise<void> {
    await this.call('notify_failure', request, call);
  }
}
