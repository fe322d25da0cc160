import type { PluginState } from '../domain/index.js';
import { instanceKeyString, type InstanceKey, type ObservedInstance } from './backends/backend.js';

/** One installed plugin the control plane wants on this supervisor (from list_plugins). */
export interface DesiredPlugin extends InstanceKey {
  state: PluginState;
  /**
   * The installed plugin's desired revision (PluginInfo.revision): bumped by every control-plane
   * decision that changes what the agent must do (recover_plugin, notify_failure, ...). 0 when
   * the control plane does not send one.
   */
  revision: number;
  /** The installed plugin's `updated_at`; the revision's stand-in when `revision` is 0. */
  updated_at: string;
}

/**
 * The result of reading the desired state. A failed read is its own case, so that it can never be
 * mistaken for "nothing is desired" (which would delete every running plugin).
 */
export type DesiredRead =
  { ok: true; plugins: readonly DesiredPlugin[] } | { ok: false; reason: string };

/** One step that makes observed match desired. */
export type Action =
  | { type: 'create'; key: InstanceKey; revision: string }
  | { type: 'delete'; key: InstanceKey }
  | { type: 'recreate'; key: InstanceKey; revision: string; because: 'RE_PROVISIONING' | 'ERROR' };

/**
 * What to do to make `observed` match `desired`. Pure: no I/O, same input, same output.
 *
 * - A failed desired read plans nothing: running plugins stay up.
 * - Desired and not observed: `create`. Observed and not desired: `delete`.
 * - Desired RE_PROVISIONING (recover_plugin) or ERROR (notify_failure): `recreate`, once per
 *   desired revision. The revision (`instanceRevision`: the desired revision as decimal text)
 *   is stored with the instance when it is created, so the next pass, seeing the same revision,
 *   leaves the new instance be. Comparing revisions rather than clocks keeps this right when
 *   agent and control plane clocks disagree.
 * - Desired ERROR while the instance itself is ERROR (it kept crashing, and the control plane
 *   only echoes what the agent reported) is left alone: recover_plugin is the way out. Without
 *   this rule a crashing plugin would be recreated forever.
 *
 * Actions come in a stable order: deletes, then recreates, then creates, each sorted by key.
 */
export function plan(desired: DesiredRead, observed: readonly ObservedInstance[]): Action[] {
  if (!desired.ok) return [];

  const wanted = latestByKey(desired.plugins);
  const running = new Map(observed.map((instance) => [instanceKeyString(instance), instance]));

  const deletes: Action[] = [...running.entries()]
    .filter(([key]) => !wanted.has(key))
    .map(([, instance]) => ({ type: 'delete', key: keyOf(instance) }));
  const recreates: Action[] = [];
  const creates: Action[] = [];

  for (const [key, plugin] of wanted) {
    const instance = running.get(key);
    if (instance === undefined) {
      creates.push({ type: 'create', key: keyOf(plugin), revision: instanceRevision(plugin) });
      continue;
    }
    const because = recreateReason(plugin, instance);
    if (because !== undefined)
      recreates.push({
        type: 'recreate',
        key: keyOf(plugin),
        revision: instanceRevision(plugin),
        because,
      });
  }

  return [...sortByKey(deletes), ...sortByKey(recreates), ...sortByKey(creates)];
}

/**
 * The revision an instance created for `plugin` carries (backends store it as opaque text): the
 * desired revision in decimal, or, from a control plane that sends none, the desired
 * `updated_at`, which also changes whenever the control plane changes its mind.
 */
export function instanceRevision(plugin: DesiredPlugin): string {
  return plugin.revision > 0 ? String(plugin.revision) : plugin.updated_at;
}

/**
 * The desired revision an instance was created for, to echo in publish: its stored revision when
 * that is a desired revision, else 0 (created for a control plane without revisions, or by an
 * older agent), which the control plane treats as "not said".
 */
export function reportedRevision(instance: ObservedInstance): number {
  return /^[1-9][0-9]{0,9}$/.test(instance.revision)
    ? Math.min(Number(instance.revision), 2 ** 31 - 1)
    : 0;
}

function recreateReason(
  plugin: DesiredPlugin,
  instance: ObservedInstance,
): 'RE_PROVISIONING' | 'ERROR' | undefined {
  if (instance.revision === instanceRevision(plugin)) return undefined;
  if (plugin.state === 'RE_PROVISIONING') return 'RE_PROVISIONING';
  if (plugin.state === 'ERROR' && instance.state !== 'ERROR') return 'ERROR';
  return undefined;
}

/** One entry per key; if the control plane lists a key twice, the latest change wins. */
function latestByKey(plugins: readonly DesiredPlugin[]): Map<string, DesiredPlugin> {
  const byKey = new Map<string, DesiredPlugin>();
  for (const plugin of plugins) {
    const key = instanceKeyString(plugin);
    const known = byKey.get(key);
    if (known === undefined || isNewer(plugin, known)) byKey.set(key, plugin);
  }
  return byKey;
}

function isNewer(a: DesiredPlugin, b: DesiredPlugin): boolean {
  return a.revision !== b.revision ? a.revision > b.revision : a.updated_at > b.updated_at;
}

function keyOf(key: InstanceKey): InstanceKey {
  return { plugin_id: key.plugin_id, version: key.version };
}

function sortByKey(actions: Action[]): Action[] {
  const name = (action: Action) => instanceKeyString(action.key);
  return actions.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}
