import {
  InvalidPluginVersionError,
  PluginNotFoundError,
  RequiredParameterError,
  newestVersion,
} from '../domain/index.js';

/**
 * The plugin catalog: how to run each `plugin_id@version`. Loaded once from a YAML file (see
 * `loadCatalog` and docs/catalog.md) and read by the Plugin service (which versions exist) and by
 * agents' backends (what to start).
 */
export class Catalog {
  readonly #plugins: ReadonlyMap<string, CatalogPlugin>;

  constructor(plugins: readonly CatalogPlugin[]) {
    this.#plugins = new Map(plugins.map((p) => [p.plugin_id, p]));
  }

  /** Every plugin, in plugin_id order. */
  list(): CatalogPlugin[] {
    return [...this.#plugins.values()].sort((a, b) => (a.plugin_id < b.plugin_id ? -1 : 1));
  }

  /** The plugin with that id, or undefined. */
  find(pluginId: string): CatalogPlugin | undefined {
    return this.#plugins.get(pluginId);
  }

  /**
   * The plugin with that id.
   *
   * @throws PluginNotFoundError when the catalog has no such plugin.
   */
  get(pluginId: string): CatalogPlugin {
    const plugin = this.#plugins.get(pluginId);
    if (plugin === undefined) throw new PluginNotFoundError(pluginId);
    return plugin;
  }

  /**
   * Checks that `plugin_id@version` exists (exact string match: `1.0` is not `1.0.0`).
   *
   * @throws PluginNotFoundError for an unknown plugin, InvalidPluginVersionError for an unknown
   *   version of a known one.
   */
  checkVersion(pluginId: string, version: string): CatalogPlugin {
    const plugin = this.get(pluginId);
    if (!plugin.versions.includes(version)) throw new InvalidPluginVersionError(pluginId, version);
    return plugin;
  }

  /**
   * The version a get_plugin_endpoint request asks for. `MANUAL` uses the requested version, which
   * must exist. `AUTO` uses the newest version of the plugin (see `newestVersion`: releases before
   * pre-releases) whatever version was requested, and reports it as `updated_version`.
   *
   * @throws RequiredParameterError('version') for MANUAL without a version; PluginNotFoundError;
   *   InvalidPluginVersionError for a MANUAL version the catalog does not list.
   * @example catalog.resolveVersion('plugin-echo', '1.0.0', 'AUTO') // { version: '1.1.0', updated_version: '1.1.0' }
   */
  resolveVersion(pluginId: string, version: string, upgradeMode: UpgradeMode): ResolvedVersion {
    if (upgradeMode === 'AUTO') {
      const newest = newestVersion(this.get(pluginId).versions) as string;
      return { version: newest, updated_version: newest };
    }

    if (version === '') throw new RequiredParameterError('version');
    this.checkVersion(pluginId, version);
    return { version, updated_version: '' };
  }
}

/** How a get_plugin_endpoint request picks its version (PluginEndpointRequest.UpgradeMode). */
export type UpgradeMode = 'MANUAL' | 'AUTO';

/** The outcome of `Catalog.resolveVersion`. */
export interface ResolvedVersion {
  /** The version to find or install. */
  version: string;
  /** The newest version under AUTO, '' under MANUAL (PluginEndpoint.updated_version). */
  updated_version: string;
}

/** One plugin of the catalog, validated, with `${PLUGVISOR_HOME}` already substituted. */
export interface CatalogPlugin {
  plugin_id: string;
  name: string;
  /** The SpaceONE resource type the plugin serves, e.g. `inventory.Collector`. */
  resource_type: string;
  /** Versions that exist, oldest first (see `compareVersions`). Never empty. */
  versions: string[];
  /** Free-form metadata; backends add them to the plugin's workloads. Not used for placement. */
  labels: Record<string, string>;
  /** Container image (repository without tag; the version is the tag), for docker/kubernetes. */
  image?: string;
  /** Where the image comes from, for docker/kubernetes. */
  registry?: CatalogRegistry;
  /** The port the plugin listens on inside its container (default 50051). */
  port: number;
  /** How the process backend runs the plugin. */
  process?: CatalogProcess;
}

/** An image registry and, optionally, the name of the credential the agent uses for it. */
export interface CatalogRegistry {
  url: string;
  /** A credential name the agent resolves (Kubernetes: an image pull secret). Never the secret. */
  auth_ref?: string;
}

/** A command the process backend runs; it passes the chosen port in the environment. */
export interface CatalogProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}
