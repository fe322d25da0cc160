import { basename } from 'node:path';

import { defaultCatalogPath, loadCatalog } from '../catalog/index.js';
import type { InstanceKey } from './backends/backend.js';
import type { ProcessCommand } from './backends/process/process-instance.js';

/**
 * How the process backend learns what to run: the agent reads its own copy of the catalog file
 * (the same YAML as the control plane's, docs/catalog.md) at start, so the wire format stays
 * SpaceONE's. `node` as the command means the Node.js running the agent, so plugins written in
 * TypeScript run on the same Node version even when PATH has another.
 *
 * @throws CatalogError when the file cannot be read or is invalid (at start, not per instance).
 * @returns a resolver that throws, naming the plugin and the file, when a plugin or version is not
 *   in the catalog or has no `process` section; the backend then reports the instance ERROR.
 */
export async function catalogCommandResolver(
  path = '',
): Promise<(key: InstanceKey) => Promise<ProcessCommand>> {
  const file = path === '' ? defaultCatalogPath() : path;
  const catalog = await loadCatalog(file);

  return async (key) => {
    const plugin = catalog.find(key.plugin_id);
    if (plugin === undefined || !plugin.versions.includes(key.version)) {
      throw new Error(`${key.plugin_id}@${key.version} is not in the agent's catalog ${file}`);
    }
    if (plugin.process === undefined) {
      throw new Error(`${key.plugin_id} has no process command in the agent's catalog ${file}`);
    }

    const { command, args, env, cwd } = plugin.process;
    return {
      argv: [
        basename(command) === 'node' && !command.includes('/') ? process.execPath : command,
        ...args,
      ],
      env,
      cwd,
    };
  };
}
