import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type {
  JsonObject,
  JsonValue,
  PlacementCandidate,
  PluginState,
  SupervisorState,
} from '../domain/index.js';
import type { Database } from './schema.js';

/** The identity of one installed plugin. */
export interface InstanceIdentity {
  supervisor_id: string;
  plugin_id: string;
  version: string;
}

/** What get_plugin_endpoint needs to know about an installed plugin. */
export interface InstanceRow extends InstanceIdentity {
  state: PluginState;
  endpoint: string;
  endpoints: string[];
  error_message: string;
  created_at: string;
  updated_at: string;
}

/** An installed plugin together with the supervisor it runs on. */
export interface PlacedInstance extends InstanceRow {
  supervisor: PlacementCandidate;
}

/** The single-flight claim of one (domain, plugin_id, version, labels). */
export interface InstanceClaim {
  claim_key: string;
  supervisor_id: string;
  generation: number;
}

/** The request a claim stands for. */
export interface ClaimRequest {
  domain_id: string;
  plugin_id: string;
  version: string;
  labels: Readonly<Record<string, JsonValue>>;
}

/**
 * The store side of get_plugin_endpoint, notify_failure and the cleanup job: finding instances a
 * domain may use, the single-flight claims, the round-robin hand-out and the conditional deletes.
 * Every state change is one conditional statement, so several control-plane replicas sharing the
 * database stay consistent without in-memory locks.
 */
export class PluginEndpointRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Instances of `plugin_id@version` on ENABLED supervisors that are `domainId`'s own or public
   * (the caller still checks labels with `qualifies`).
   */
  async findPlaced(domainId: string, pluginId: string, version: string): Promise<PlacedInstance[]> {
    // Plain SQL rather than the query builder: this runs on every get_plugin_endpoint, and
    // building the query each time cost more than running it (bench/endpoint-bench.ts).
    const { rows } = await sql<PlacedRow>`
      SELECT ip.supervisor_id, ip.plugin_id, ip.version, ip.state, ip.endpoint, ip.endpoints,
        ip.error_message, ip.created_at, ip.updated_at, s.state AS supervisor_state, s.is_public,
        s.domain_id AS supervisor_domain_id, s.priority, s.labels
      FROM installed_plugins ip
      JOIN supervisors s ON s.supervisor_id = ip.supervisor_id
      WHERE ip.plugin_id = ${pluginId} AND ip.version = ${version} AND s.state = 'ENABLED'
        AND (s.domain_id = ${domainId} OR s.is_public = 1)`.execute(this.#db);

    return rows.map((r) => ({
      ...toInstanceRow(r),
      supervisor: toCandidate({
        ...r,
        state: r.supervisor_state,
        domain_id: r.supervisor_domain_id,
      }),
    }));
  }

  /** One installed plugin by its identity, or undefined. */
  async findInstance(key: InstanceIdentity): Promise<InstanceRow | undefined> {
    const row = await this.#db
      .selectFrom('installed_plugins')
      .select([
        'supervisor_id',
        'plugin_id',
        'version',
        'state',
        'endpoint',
        'endpoints',
        'error_message',
        'created_at',
        'updated_at',
      ])
      .where('supervisor_id', '=', key.supervisor_id)
      .where('plugin_id', '=', key.plugin_id)
      .where('version', '=', key.version)
      .executeTakeFirst();
    return row === undefined ? undefined : toInstanceRow(row);
  }

  /**
   * True when `domainId` may see the instance: it runs on one of the domain's supervisors, or the
   * domain asked for it (the same rule as list_plugins).
   */
  async isVisibleTo(domainId: string, key: InstanceIdentity): Promise<boolean> {
    const row = await this.#db
      .selectFrom('installed_plugins as ip')
      .innerJoin('supervisors as s', 's.supervisor_id', 'ip.supervisor_id')
      .select('ip.supervisor_id')
      .where('ip.supervisor_id', '=', key.supervisor_id)
      .where('ip.plugin_id', '=', key.plugin_id)
      .where('ip.version', '=', key.version)
      .where((eb) =>
        eb.or([
          eb('s.domain_id', '=', domainId),
          eb.exists(
            eb
              .selectFrom('installed_plugin_domains as u')
              .select('u.domain_id')
              .whereRef('u.supervisor_id', '=', 'ip.supervisor_id')
              .whereRef('u.plugin_id', '=', 'ip.plugin_id')
              .whereRef('u.version', '=', 'ip.version')
              .where('u.domain_id', '=', domainId),
          ),
        ]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** ENABLED supervisors that are `domainId`'s own or public: the candidates for placement. */
  async placementCandidates(domainId: string): Promise<PlacementCandidate[]> {
    const rows = await this.#db
      .selectFrom('supervisors')
      .select(['supervisor_id', 'state', 'is_public', 'domain_id', 'priority', 'labels'])
      .where('state', '=', 'ENABLED')
      .where((eb) => eb.or([eb('domain_id', '=', domainId), eb('is_public', '=', 1)]))
      .execute();
    return rows.map(toCandidate);
  }

  /** How many installed plugins each of `supervisorIds` runs (absent ones run none). */
  async instanceCounts(supervisorIds: readonly string[]): Promise<Map<string, number>> {
    if (supervisorIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('installed_plugins')
      .select((eb) => ['supervisor_id', eb.fn.countAll<number>().as('n')])
      .where('supervisor_id', 'in', [...supervisorIds])
      .groupBy('supervisor_id')
      .execute();
    return new Map(rows.map((r) => [r.supervisor_id, Number(r.n)]));
  }

  /**
   * Inserts the claim for `request` pointing at `supervisorId` unless one exists.
   *
   * @returns true when this call created it (the caller then creates the instance).
   */
  async insertClaim(request: ClaimRequest, supervisorId: string, now: string): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('instance_claims')
      .values({
        claim_key: claimKey(request),
        domain_id: request.domain_id,
        plugin_id: request.plugin_id,
        version: request.version,
        labels: canonicalJson(request.labels),
        supervisor_id: supervisorId,
        generation: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('claim_key').doNothing())
      .returning('claim_key')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** The claim for `request`, or undefined. */
  async findClaim(request: ClaimRequest): Promise<InstanceClaim | undefined> {
    return this.#db
      .selectFrom('instance_claims')
      .select(['claim_key', 'supervisor_id', 'generation'])
      .where('claim_key', '=', claimKey(request))
      .executeTakeFirst();
  }

  /**
   * Moves `claim` to `supervisorId` if nobody moved it since it was read (compare-and-swap on
   * its generation).
   *
   * @returns false when another request moved it first.
   */
  async moveClaim(claim: InstanceClaim, supervisorId: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('instance_claims')
      .set({ supervisor_id: supervisorId, generation: claim.generation + 1, updated_at: now })
      .where('claim_key', '=', claim.claim_key)
      .where('generation', '=', claim.generation)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Creates the instance in PROVISIONING for `domainId` unless that supervisor has it already.
   *
   * @returns true when this call created it.
   */
  async insertInstance(key: InstanceIdentity, domainId: string, now: string): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('installed_plugins')
      .values({
        ...identityOf(key),
        state: 'PROVISIONING',
        endpoint: '',
        endpoints: '[]',
        managed: 1,
        domain_id: domainId,
        error_message: '',
        rr_counter: 0,
        created_at: now,
        updated_at: now,
        endpoint_called_at: null,
      })
      .onConflict((oc) => oc.columns(['supervisor_id', 'plugin_id', 'version']).doNothing())
      .returning('supervisor_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Records that `domainId` uses the instance (so its list_plugins shows it). Idempotent. */
  async addDomain(key: InstanceIdentity, domainId: string, now: string): Promise<void> {
    await this.#db
      .insertInto('installed_plugin_domains')
      .values({
        ...identityOf(key),
        domain_id: domainId,
        created_at: now,
        endpoint_called_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['supervisor_id', 'plugin_id', 'version', 'domain_id']).doNothing(),
      )
      .execute();
  }

  /**
   * Moves the instance to `to` (with `errorMessage` when given) if its state is one of `from`,
   * bumping its `desired_revision` (a control-plane decision; see docs/plugins.md).
   *
   * @returns false when it is gone or in another state.
   */
  async transition(
    key: InstanceIdentity,
    from: readonly PluginState[],
    to: PluginState,
    now: string,
    errorMessage?: string,
  ): Promise<boolean> {
    const set = errorMessage === undefined ? {} : { error_message: errorMessage };
    const result = await this.#db
      .updateTable('installed_plugins')
      .set({ ...set, state: to, updated_at: now, desired_revision: sql`desired_revision + 1` })
      .where('supervisor_id', '=', key.supervisor_id)
      .where('plugin_id', '=', key.plugin_id)
      .where('version', '=', key.version)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Hands out one endpoint of an ACTIVE instance: increments its round-robin counter and stamps
   * its `endpoint_called_at` in one statement, and picks `endpoints[(counter - 1) mod length]` of
   * the list as it is now, so a list that shrank never yields a stale index. No transaction is
   * needed: the statement alone is atomic.
   *
   * @returns undefined when the instance is gone, not ACTIVE, or has no endpoint.
   */
  async handOutEndpoint(key: InstanceIdentity, now: string): Promise<string | undefined> {
    // Plain SQL for the same reason as findPlaced.
    const { rows } = await sql<{ rr_counter: number; endpoint: string; endpoints: string }>`
      UPDATE installed_plugins SET rr_counter = rr_counter + 1, endpoint_called_at = ${now}
      WHERE supervisor_id = ${key.supervisor_id} AND plugin_id = ${key.plugin_id}
        AND version = ${key.version} AND state = 'ACTIVE'
      RETURNING rr_counter, endpoint, endpoints`.execute(this.#db);
    const row = rows[0];
    return row === undefined ? undefined : pickEndpoint(row);
  }

  /**
   * The warm path of a request without labels, in one statement: picks the instance of
   * `pluginId@version` that `findPlaced` plus the service's ordering would pick (supervisor
   * ENABLED and the domain's own or public; ACTIVE first, then highest priority, then
   * supervisor_id) and, if that instance is ready (ACTIVE with an endpoint), hands out one of its
   * endpoints as `handOutEndpoint` does.
   *
   * @returns undefined when the best instance is missing or not ready (take the full path).
   */
  async handOutBest(
    domainId: string,
    pluginId: string,
    version: string,
    now: string,
  ): Promise<{ instance: InstanceIdentity; createdAt: string; endpoint: string } | undefined> {
    const { rows } = await sql<HandOutRow>`
      UPDATE installed_plugins SET rr_counter = rr_counter + 1, endpoint_called_at = ${now}
      WHERE plugin_id = ${pluginId} AND version = ${version}
        AND state = 'ACTIVE' AND (endpoints NOT IN ('', '[]') OR endpoint <> '')
        AND supervisor_id = (
          SELECT ip.supervisor_id FROM installed_plugins ip
          JOIN supervisors s ON s.supervisor_id = ip.supervisor_id
          WHERE ip.plugin_id = ${pluginId} AND ip.version = ${version} AND s.state = 'ENABLED'
            AND (s.domain_id = ${domainId} OR s.is_public = 1)
          ORDER BY CASE ip.state WHEN 'ACTIVE' THEN 0 WHEN 'ERROR' THEN 2 ELSE 1 END,
            s.priority DESC, ip.supervisor_id
          LIMIT 1)
      RETURNING supervisor_id, created_at, rr_counter, endpoint, endpoints`.execute(this.#db);
    const row = rows[0];
    if (row === undefined) return undefined;

    const endpoint = pickEndpoint(row);
    if (endpoint === undefined) return undefined;
    const instance = { supervisor_id: row.supervisor_id, plugin_id: pluginId, version };
    return { instance, createdAt: row.created_at, endpoint };
  }

  /**
   * Records that `domainId` was handed an endpoint of the instance at `now` (creating the
   * domain's use of it if missing), in one upsert.
   */
  async stampDomainUse(key: InstanceIdentity, domainId: string, now: string): Promise<void> {
    await this.#db
      .insertInto('installed_plugin_domains')
      .values({ ...identityOf(key), domain_id: domainId, created_at: now, endpoint_called_at: now })
      .onConflict((oc) =>
        oc
          .columns(['supervisor_id', 'plugin_id', 'version', 'domain_id'])
          .doUpdateSet({ endpoint_called_at: now }),
      )
      .execute();
  }

  /** Up to `limit` instances whose endpoint was last handed out (or, if never, created) before `cutoff`. */
  async findUnused(cutoff: string, limit: number): Promise<InstanceIdentity[]> {
    return this.#db
      .selectFrom('installed_plugins')
      .select(['supervisor_id', 'plugin_id', 'version'])
      .where(unusedSince(cutoff))
      .orderBy('supervisor_id')
      .orderBy('plugin_id')
      .orderBy('version')
      .limit(limit)
      .execute();
  }

  /**
   * Deletes the instance, its domain rows and the claims pointing at it, if it is still unused
   * since `cutoff` (a request that handed its endpoint out meanwhile keeps it). Run it inside a
   * transaction.
   *
   * @returns false when another replica deleted it first or it was used meanwhile.
   */
  async deleteIfUnused(key: InstanceIdentity, cutoff: string): Promise<boolean> {
    const deleted = await this.#db
      .deleteFrom('installed_plugins')
      .where('supervisor_id', '=', key.supervisor_id)
      .where('plugin_id', '=', key.plugin_id)
      .where('version', '=', key.version)
      .where(unusedSince(cutoff))
      .returning('supervisor_id')
      .executeTakeFirst();
    if (deleted === undefined) return false;

    for (const table of ['installed_plugin_domains', 'instance_claims'] as const) {
      await this.#db
        .deleteFrom(table)
        .where('supervisor_id', '=', key.supervisor_id)
        .where('plugin_id', '=', key.plugin_id)
        .where('version', '=', key.version)
        .execute();
    }
    return true;
  }
}

/** A row of `findPlaced`: the instance and its supervisor's placement fields. */
interface PlacedRow {
  supervisor_id: string;
  plugin_id: string;
  version: string;
  state: string;
  endpoint: string;
  endpoints: string;
  error_message: string;
  created_at: string;
  updated_at: string;
  supervisor_state: string;
  is_public: number;
  supervisor_domain_id: string;
  priority: number;
  labels: string;
}

/** A row handed out by `handOutBest`. */
interface HandOutRow {
  supervisor_id: string;
  created_at: string;
  rr_counter: number;
  endpoint: string;
  endpoints: string;
}

/** Just the identity fields of `key` (callers may pass richer rows). */
export function identityOf(key: InstanceIdentity): InstanceIdentity {
  return { supervisor_id: key.supervisor_id, plugin_id: key.plugin_id, version: key.version };
}

/** The claim key of a request: sha256 over its canonical form. */
export function claimKey(request: ClaimRequest): string {
  const canonical = canonicalJson([
    request.domain_id,
    request.plugin_id,
    request.version,
    request.labels,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: JsonValue | Readonly<Record<string, JsonValue>>): string {
  return JSON.stringify(sortKeys(value as JsonValue));
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as JsonValue);
  return sorted;
}

function unusedSince(cutoff: string) {
  return sql<boolean>`COALESCE(endpoint_called_at, created_at) < ${cutoff}`;
}

function toInstanceRow(row: {
  supervisor_id: string;
  plugin_id: string;
  version: string;
  state: string;
  endpoint: string;
  endpoints: string;
  error_message: string;
  created_at: string;
  updated_at: string;
}): InstanceRow {
  return {
    supervisor_id: row.supervisor_id,
    plugin_id: row.plugin_id,
    version: row.version,
    state: row.state as PluginState,
    endpoint: row.endpoint,
    endpoints: parseEndpoints(row.endpoints),
    error_message: row.error_message,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toCandidate(row: {
  supervisor_id: string;
  state: string;
  is_public: number;
  domain_id: string;
  priority: number;
  labels: string;
}): PlacementCandidate {
  return {
    supervisor_id: row.supervisor_id,
    state: row.state as SupervisorState,
    is_public: row.is_public === 1,
    domain_id: row.domain_id,
    priority: Number(row.priority),
    labels: parseObject(row.labels),
  };
}

/** `endpoints[(counter - 1) mod length]` of a handed-out row, else its single endpoint. */
function pickEndpoint(row: {
  rr_counter: number;
  endpoint: string;
  endpoints: string;
}): string | undefined {
  const endpoints = parseEndpoints(row.endpoints);
  if (endpoints.length === 0) return row.endpoint === '' ? undefined : row.endpoint;
  return endpoints[(Number(row.rr_counter) - 1) % endpoints.length];
}

function parseEndpoints(text: string): string[] {
  const value: unknown = JSON.parse(text || '[]');
  return Array.isArray(value) ? value.map(String) : [];
}

function parseObject(text: string): JsonObject {
  const value: unknown = JSON.parse(text || '{}');
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}
