import { sql, type Kysely, type Updateable } from 'kysely';
import { normalizeEndpoints, type InstalledPlugin, type PluginState } from '../domain/index.js';
import type { SqlFragment } from '../query/index.js';
import { runFragment } from './raw-query.js';
import { installedPluginSource } from './resources.js';
import type { Database, InstalledPluginsTable } from './schema.js';

/** What an agent reported for one instance in a publish; undefined fields are left as stored. */
export interface InstanceReport {
  plugin_id: string;
  version: string;
  state?: PluginState;
  endpoint?: string;
  endpoints?: string[];
  error_message?: string;
  /** The `desired_revision` the agent acted on; 0 or absent when the agent did not say. */
  revision?: number;
}

/** What became of one report (see InstalledPluginRepository.applyReport). */
export type ReportOutcome = 'applied' | 'stale' | 'missing';

/** The identity of one installed plugin. */
export interface InstanceKey {
  supervisor_id: string;
  plugin_id: string;
  version: string;
}

/** A new installed-plugin row; the columns left out take their defaults. */
export interface NewInstalledPlugin extends InstanceKey {
  state: PluginState;
  domain_id: string;
  endpoint?: string;
  endpoints?: string[];
  managed?: boolean;
  created_at: string;
}

/**
 * Installed plugins (instances) in the store. This part serves publish, deregister,
 * recover_plugin and list_plugins; creating instances for endpoints is issue #4's part.
 */
export class InstalledPluginRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Inserts an instance (and the row saying its domain uses it). */
  async insert(p: NewInstalledPlugin): Promise<void> {
    await this.#db
      .insertInto('installed_plugins')
      .values({
        supervisor_id: p.supervisor_id,
        plugin_id: p.plugin_id,
        version: p.version,
        state: p.state,
        endpoint: p.endpoint ?? '',
        endpoints: JSON.stringify(p.endpoints ?? []),
        managed: p.managed === false ? 0 : 1,
        domain_id: p.domain_id,
        error_message: '',
        rr_counter: 0,
        created_at: p.created_at,
        updated_at: p.created_at,
        endpoint_called_at: null,
      })
      .execute();
    await this.#db
      .insertInto('installed_plugin_domains')
      .values({
        supervisor_id: p.supervisor_id,
        plugin_id: p.plugin_id,
        version: p.version,
        domain_id: p.domain_id,
        created_at: p.created_at,
        endpoint_called_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /**
   * Applies one agent report to the instance (supervisorId, plugin_id, version), in one
   * conditional UPDATE (a compare-and-swap on the row read, for the revision-0 rule), when it is
   * current:
   * - a report carrying a revision counts only if it equals the stored `desired_revision`, so a
   *   publish that was in flight when the control plane changed its mind cannot undo that change;
   * - a report without one (revision 0: an older agent, a hand-made publish) counts, except that
   *   it cannot move RE_PROVISIONING or ERROR back to ACTIVE with the endpoints already stored.
   *
   * @returns `applied`; `stale` when the instance exists but the report does not count;
   *   `missing` when there is no such instance.
   */
  async applyReport(
    supervisorId: string,
    report: InstanceReport,
    now: string,
  ): Promise<ReportOutcome> {
    const set: Updateable<InstalledPluginsTable> = { updated_at: now };
    if (report.state !== undefined) set.state = report.state;
    if (report.endpoint !== undefined) set.endpoint = report.endpoint;
    if (report.endpoints !== undefined) set.endpoints = JSON.stringify(report.endpoints);
    if (report.error_message !== undefined) set.error_message = report.error_message;
    let query = this.#db
      .updateTable('installed_plugins')
      .set(set)
      .where('supervisor_id', '=', supervisorId)
      .where('plugin_id', '=', report.plugin_id)
      .where('version', '=', report.version);
    const revision = report.revision ?? 0;
    if (revision > 0) query = query.where('desired_revision', '=', revision);
    else if (report.state === 'ACTIVE') {
      const stored = await this.#stored(supervisorId, report);
      if (stored === undefined) return 'missing';
      if (isBackToActiveUnchanged(stored, report)) return 'stale';
      // Compare-and-swap on what was read: a recover landing meanwhile wins.
      query = query
        .where('state', '=', stored.state)
        .where('desired_revision', '=', stored.desired_revision);
    }
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return 'applied';

    const exists = await this.#stored(supervisorId, report);
    return exists === undefined ? 'missing' : 'stale';
  }

  async #stored(supervisorId: string, key: Omit<InstanceKey, 'supervisor_id'>) {
    return this.#db
      .selectFrom('installed_plugins')
      .select(['state', 'endpoint', 'endpoints', 'desired_revision'])
      .where('supervisor_id', '=', supervisorId)
      .where('plugin_id', '=', key.plugin_id)
      .where('version', '=', key.version)
      .executeTakeFirst();
  }

  /** Up to `limit` instances on the supervisor, as `plugin_id@version`, and how many there are. */
  async referencesTo(
    supervisorId: string,
    limit: number,
  ): Promise<{ total: number; sample: string[] }> {
    const count = await this.#db
      .selectFrom('installed_plugins')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('supervisor_id', '=', supervisorId)
      .executeTakeFirstOrThrow();
    const rows = await this.#db
      .selectFrom('installed_plugins')
      .select(['plugin_id', 'version'])
      .where('supervisor_id', '=', supervisorId)
      .orderBy('plugin_id')
      .orderBy('version')
      .limit(limit)
      .execute();
    return { total: Number(count.n), sample: rows.map((r) => `${r.plugin_id}@${r.version}`) };
  }

  /**
   * Moves the instance to `to` if its state is one of `from`. This is a control-plane decision,
   * so it also bumps `desired_revision`: reports about the instance as it was are ignored from now.
   *
   * @returns true when the row changed; false when it is gone or in another state.
   */
  async transition(
    key: InstanceKey,
    from: readonly PluginState[],
    to: PluginState,
    now: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('installed_plugins')
      .set({ state: to, updated_at: now, desired_revision: sql`desired_revision + 1` })
      .where('supervisor_id', '=', key.supervisor_id)
      .where('plugin_id', '=', key.plugin_id)
      .where('version', '=', key.version)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The instance as `domainId` sees it, or undefined when it does not exist for that domain. */
  async find(domainId: string, key: InstanceKey): Promise<InstalledPlugin | undefined> {
    const source = installedPluginSource(domainId);
    const rows = await this.select({
      sql: `SELECT * FROM ${source.sql} WHERE supervisor_id = ? AND plugin_id = ? AND version = ?`,
      params: [...source.params, key.supervisor_id, key.plugin_id, key.version],
    });
    return rows[0];
  }

  /** Runs a compiled query over `installedPluginSource` and maps its rows to domain values. */
  async select(fragment: SqlFragment): Promise<InstalledPlugin[]> {
    const rows = await runFragment<Record<string, unknown>>(this.#db, fragment);
    return rows.map(toInstalledPlugin);
  }
}

/**
 * Whether a report without a revision would move RE_PROVISIONING or ERROR back to ACTIVE while
 * naming no endpoint other than the stored ones: most likely the instance the control plane just
 * gave up on, reported by a publish that was already in flight. A report naming no endpoint at
 * all names none other.
 */
function isBackToActiveUnchanged(
  stored: { state: string; endpoint: string; endpoints: string },
  report: InstanceReport,
): boolean {
  if (stored.state !== 'RE_PROVISIONING' && stored.state !== 'ERROR') return false;
  const storedList: unknown = JSON.parse(stored.endpoints || '[]');
  const had = normalizeEndpoints([
    stored.endpoint,
    ...(Array.isArray(storedList) ? storedList.map(String) : []),
  ]);
  const named = normalizeEndpoints([report.endpoint ?? '', ...(report.endpoints ?? [])]);
  return named.every((e) => had.includes(e));
}

function toInstalledPlugin(row: Record<string, unknown>): InstalledPlugin {
  const text = (key: string): string => {
    const v = row[key];
    return v === null || v === undefined ? '' : String(v);
  };
  const endpoints: unknown = JSON.parse(text('endpoints') || '[]');
  return {
    supervisor_id: text('supervisor_id'),
    supervisor_name: text('supervisor_name'),
    hostname: text('hostname'),
    plugin_id: text('plugin_id'),
    version: text('version'),
    state: text('state') as PluginState,
    endpoint: text('endpoint'),
    endpoints: Array.isArray(endpoints) ? endpoints.map(String) : [],
    managed: Boolean(row['managed']),
    domain_id: text('domain_id'),
    error_message: text('error_message'),
    created_at: text('created_at'),
    updated_at: text('updated_at'),
    endpoint_called_at: text('endpoint_called_at'),
    revision: Number(row['revision'] ?? 0),
  };
}
