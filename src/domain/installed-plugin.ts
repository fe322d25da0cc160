import { PluginStateError } from './errors.js';

/** Lifecycle states of an installed plugin, as on the wire (PluginInfo.State). */
export const PLUGIN_STATES = ['PROVISIONING', 'ACTIVE', 'RE_PROVISIONING', 'ERROR'] as const;
export type PluginState = (typeof PLUGIN_STATES)[number];

/**
 * One installed plugin (an instance): `plugin_id@version` on one supervisor, as one domain sees
 * it. Times are ISO 8601 UTC with milliseconds; `endpoint_called_at` is empty until the endpoint
 * is first handed out.
 */
export interface InstalledPlugin {
  supervisor_id: string;
  supervisor_name: string;
  hostname: string;
  plugin_id: string;
  version: string;
  state: PluginState;
  endpoint: string;
  endpoints: string[];
  managed: boolean;
  domain_id: string;
  error_message: string;
  created_at: string;
  updated_at: string;
  endpoint_called_at: string;
  /**
   * The instance's desired revision: bumped by every control-plane decision that changes what
   * its agent must do (1 at creation). Agents echo it when they report the instance.
   */
  revision: number;
}

/** What an agent reports for one instance in a publish. */
export type PluginAction = 'recover' | 'activate' | 'fail';

const TRANSITIONS: Record<PluginAction, Partial<Record<PluginState, PluginState>>> = {
  recover: { ACTIVE: 'RE_PROVISIONING', ERROR: 'RE_PROVISIONING' },
  activate: { PROVISIONING: 'ACTIVE', RE_PROVISIONING: 'ACTIVE', ACTIVE: 'ACTIVE' },
  fail: { PROVISIONING: 'ERROR', ACTIVE: 'ERROR', RE_PROVISIONING: 'ERROR', ERROR: 'ERROR' },
};

/**
 * The state an installed plugin moves to when `action` is applied in state `from`.
 *
 * @throws PluginStateError when the action is not allowed from that state.
 */
export function nextPluginState(
  action: PluginAction,
  plugin: { plugin_id: string; version: string },
  from: PluginState,
): PluginState {
  const to = TRANSITIONS[action][from];
  if (to === undefined) throw new PluginStateError(action, plugin.plugin_id, plugin.version, from);
  return to;
}

/** The states from which `action` is allowed, for building conditional updates. */
export function pluginStatesAllowing(action: PluginAction): PluginState[] {
  return Object.keys(TRANSITIONS[action]) as PluginState[];
}

/** Endpoints in the canonical order the API reports them (sorted, without duplicates). */
export function normalizeEndpoints(endpoints: readonly string[]): string[] {
  return [...new Set(endpoints.filter((e) => e !== ''))].sort();
}
