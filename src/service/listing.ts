import type { Logger } from 'pino';
import type { Clock, InstalledPlugin, Supervisor } from '../domain/index.js';
import {
  compileList,
  parseListQuery,
  resolveKey,
  sqliteDialect,
  type Condition,
  type ListQuery,
  type ResourceSchema,
  type SqlDialect,
  type SqlFragment,
} from '../query/index.js';
import {
  InstalledPluginRepository,
  SupervisorRepository,
  installedPluginResource,
  installedPluginSource,
  runFragment,
  supervisorResource,
  supervisorSource,
  type Store,
} from '../store/index.js';
import { runStat } from './stat.js';
import type { ListPluginsRequest, ListSupervisorsRequest } from './validation.js';

/** One page of a list answer; `total_count` counts every match, not just the page. */
export interface Page<T> {
  results: T[];
  total_count: number;
}

/**
 * Runs list, list_plugins and stat through the query layer: the request's direct fields become
 * extra `eq` conditions, the query is compiled to SQL over the domain's source, and only the page
 * is loaded.
 */
export class ListingService {
  readonly #store: Store;
  readonly #dialect: SqlDialect;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(store: Store, clock: Clock, logger: Logger) {
    this.#store = store;
    this.#dialect = sqliteDialect;
    this.#clock = clock;
    this.#log = logger;
  }

  /** Supervisors of `domainId` matching the request. */
  async listSupervisors(
    domainId: string,
    request: ListSupervisorsRequest,
  ): Promise<Page<Partial<Supervisor>>> {
    const schema = supervisorResource;
    const query = parseListQuery(schema, request.query, { clock: this.#clock });
    query.filter.push(
      ...directConditions(schema, {
        supervisor_id: request.supervisor_id,
        name: request.name,
        is_public: request.is_public,
      }),
    );
    const repo = new SupervisorRepository(this.#store.db);
    return this.#run(schema, supervisorSource(domainId), query, (f) => repo.select(f));
  }

  /** Installed plugins `domainId` sees, matching the request. */
  async listInstalledPlugins(
    domainId: string,
    request: ListPluginsRequest,
    supervisorName?: string,
  ): Promise<Page<Partial<InstalledPlugin>>> {
    const schema = installedPluginResource;
    const query = parseListQuery(schema, request.query, { clock: this.#clock });
    query.filter.push(
      ...directConditions(schema, {
        supervisor_id: request.supervisor_id,
        hostname: request.hostname,
        plugin_id: request.plugin_id,
        version: request.version,
        state: request.state,
        endpoint: request.endpoint,
        // An agent's token narrows the list to its own supervisor (src/auth/policy.ts).
        supervisor_name: supervisorName,
      }),
    );
    const repo = new InstalledPluginRepository(this.#store.db);
    return this.#run(schema, installedPluginSource(domainId), query, (f) => repo.select(f));
  }

  /** A StatisticsQuery over the supervisors of `domainId`. */
  async statSupervisors(domainId: string, query: unknown): Promise<Record<string, unknown>> {
    return runStat({
      store: this.#store,
      schema: supervisorResource,
      source: supervisorSource(domainId),
      dialect: this.#dialect,
      clock: this.#clock,
      query,
    });
  }

  async #run<T extends object>(
    schema: ResourceSchema,
    source: SqlFragment,
    query: ListQuery,
    select: (fragment: SqlFragment) => Promise<T[]>,
  ): Promise<Page<Partial<T>>> {
    const started = Date.now();
    const compiled = compileList(schema, source, query, this.#dialect);
    const total = await this.#count(compiled.count);
    const rows = query.countOnly ? [] : await select(compiled.select);
    this.#log.debug({ resource: schema.name, durationMs: Date.now() - started }, 'List query ran');

    const keys = query.only ?? (query.minimal ? schema.minimalFields : undefined);
    return {
      results: keys === undefined ? rows : rows.map((r) => project(r, keys)),
      total_count: total,
    };
  }

  async #count(fragment: SqlFragment): Promise<number> {
    const rows = await runFragment<{ total_count: number }>(this.#store.db, fragment);
    return Number(rows[0]?.total_count ?? 0);
  }
}

/** The request's direct filter fields as `eq` conditions; undefined and '' fields are skipped. */
function directConditions(
  schema: ResourceSchema,
  fields: Record<string, string | boolean | undefined>,
): Condition[] {
  const out: Condition[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    out.push({ key: resolveKey(schema, key, key), operator: 'eq', value });
  }
  return out;
}

/** Keeps the top-level fields named by `keys` (`tags.env` keeps `tags`). */
function project<T extends object>(row: T, keys: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const top = key.split('.')[0] ?? key;
    if (top in row) out[top] = (row as Record<string, unknown>)[top];
  }
  return out as Partial<T>;
}
