import { PLUGIN_STATES, type PluginState } from '../domain/index.js';
import { AgentChannelClient, SupervisorClient } from '../transport/client/index.js';
import type {
  ControlPlane,
  DesiredWatch,
  PublishedSupervisor,
  ReportedPlugin,
} from './control-plane.js';
import type { DesiredPlugin } from './plan.js';

/** Who the agent publishes as. */
export interface SupervisorIdentity {
  name: string;
  hostname: string;
  /** Empty: the token's domain decides. */
  domainId: string;
  secretKey: string;
  labels: Record<string, string>;
  tags: Record<string, string>;
  /** Asks for a public supervisor (only a system token may). */
  isPublic: boolean;
}

/** Options of GrpcControlPlane. */
export interface GrpcControlPlaneOptions {
  /** `host:port` of the control plane's gRPC server. */
  address: string;
  token?: string;
  identity: SupervisorIdentity;
  /** Deadline of each unary call (default 10 s). */
  timeoutMs?: number;
}

/**
 * The ControlPlane over gRPC, through `transport/client`: publish and list_plugins of
 * `spaceone.api.plugin.v1.Supervisor`, and Plugvisor's `plugvisor.v1.AgentChannel/watch`.
 */
export class GrpcControlPlane implements ControlPlane {
  readonly #supervisors: SupervisorClient;
  readonly #channel: AgentChannelClient;
  readonly #identity: SupervisorIdentity;

  constructor(options: GrpcControlPlaneOptions) {
    const clientOptions = {
      token: options.token || undefined,
      timeoutMs: options.timeoutMs ?? 10_000,
    };
    this.#supervisors = new SupervisorClient(options.address, clientOptions);
    this.#channel = new AgentChannelClient(options.address, clientOptions);
    this.#identity = options.identity;
  }

  async publish(report: readonly ReportedPlugin[]): Promise<PublishedSupervisor> {
    const id = this.#identity;
    const request: Record<string, unknown> = {
      name: id.name,
      hostname: id.hostname,
      plugin_info: report.map((plugin) => ({ ...plugin })),
      labels: id.labels,
      tags: id.tags,
    };
    if (id.secretKey !== '') request.secret_key = id.secretKey;
    if (id.domainId !== '') request.domain_id = id.domainId;
    if (id.isPublic) request.is_public = true;

    const supervisor = await this.#supervisors.publish(request);
    return { supervisor_id: supervisor.supervisor_id, state: supervisor.state };
  }

  async listPlugins(supervisorId: string): Promise<DesiredPlugin[]> {
    const request: Record<string, unknown> = { supervisor_id: supervisorId };
    if (this.#identity.domainId !== '') request.domain_id = this.#identity.domainId;

    const answer = await this.#supervisors.listPlugins(request);
    return answer.results.flatMap((plugin) => {
      if (!plugin.plugin_id || !plugin.version) return [];
      return [
        {
          plugin_id: plugin.plugin_id,
          version: plugin.version,
          state: toPluginState(plugin.state),
          revision: typeof plugin.revision === 'number' ? plugin.revision : 0,
          updated_at: plugin.updated_at ?? '',
        },
      ];
    });
  }

  watch(supervisorId: string, onDesiredChanged: () => void): DesiredWatch {
    const request: { supervisor_id: string; domain_id?: string } = { supervisor_id: supervisorId };
    if (this.#identity.domainId !== '') request.domain_id = this.#identity.domainId;
    return this.#channel.watch(request, onDesiredChanged);
  }

  /** Closes the channels. */
  close(): void {
    this.#supervisors.close();
    this.#channel.close();
  }
}

function toPluginState(state: unknown): PluginState {
  return PLUGIN_STATES.includes(state as PluginState) ? (state as PluginState) : 'PROVISIONING';
}
