import type { Kysely } from 'kysely';
import type { JsonObject, Supervisor, SupervisorState } from '../domain/index.js';
import type { SqlFragment } from '../query/index.js';
import { runFragment } from './raw-query.js';
import type { Database, SupervisorsTable } from './schema.js';

/** A supervisor as stored, with the columns the API never shows (secret hash, registered flag). */
export interface SupervisorRecord extends Supervisor {
  secret_hash: string;
  registered: boolean;
}

/** Fields a publish or an update may write; undefined means "leave as is". */
export interface SupervisorPatch {
  name?: string;
  is_public?: boolean;
  priority?: number;
  labels?: JsonObject;
  tags?: JsonObject;
  state?: SupervisorState;
  registered?: boolean;
  last_seen_at?: string;
  updated_at: string;
}

/**
 * Supervisors in the store. Every read and write is scoped by domain; state changes are
 * conditional updates so that concurrent actions (and several replicas) stay correct.
 */
export class SupervisorRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Inserts `record` unless a supervisor with the same (domain_id, hostname) exists. The unique
   * constraint decides, so two concurrent first publishes create exactly one row.
   *
   * @returns true when this call created the row.
   */
  async insertIfAbsent(record: SupervisorRecord): Promise<boolean> {
    const result = await this.#db
      .insertInto('supervisors')
      .values(toRow(record))
      .onConflict((oc) => oc.columns(['domain_id', 'hostname']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** The supervisor of `domainId` with that hostname, or undefined. */
  async findByHostname(domainId: string, hostname: string): Promise<SupervisorRecord | undefined> {
    const row = await this.#db
      .selectFrom('supervisors')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('hostname', '=', hostname)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Whether the supervisor with that id (in any domain) is public; undefined when there is none.
   * For access checks on instances a domain sees on another domain's public supervisor.
   */
  async isPublic(supervisorId: string): Promise<boolean | undefined> {
    const row = await this.#db
      .selectFrom('supervisors')
      .select('is_public')
      .where('supervisor_id', '=', supervisorId)
      .executeTakeFirst();
    return row === undefined ? undefined : row.is_public === 1;
  }

  /** The supervisor of `domainId` with that id, or undefined (also when it is another domain's). */
  async findById(domainId: string, supervisorId: string): Promise<SupervisorRecord | undefined> {
    const row = await this.#db
      .selectFrom('supervisors')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('supervisor_id', '=', supervisorId)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Writes `patch` to the supervisor if its state is still one of `expectedStates` (all states
   * when omitted).
   *
   * @returns true when a row was changed; false when it is gone or its state moved on.
   */
  async update(
    domainId: string,
    supervisorId: string,
    patch: SupervisorPatch,
    expectedStates?: readonly SupervisorState[],
  ): Promise<boolean> {
    let query = this.#db
      .updateTable('supervisors')
      .set(patchToRow(patch))
      .where('domain_id', '=', domainId)
      .where('supervisor_id', '=', supervisorId);
    if (expectedStates !== undefined) query = query.where('state', 'in', [...expectedStates]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes the supervisor; returns true when it existed. */
  async delete(domainId: string, supervisorId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('supervisors')
      .where('domain_id', '=', domainId)
      .where('supervisor_id', '=', supervisorId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Runs a compiled list query (from `compileList`) over the supervisor source. */
  async select(fragment: SqlFragment): Promise<Supervisor[]> {
    const rows = await runFragment<SupervisorsTable>(this.#db, fragment);
    return rows.map((row) => toSupervisor(fromRow(row)));
  }
}

/** The API view of a stored supervisor (no secret hash, no registered flag). */
export function toSupervisor(record: SupervisorRecord): Supervisor {
  return {
    supervisor_id: record.supervisor_id,
    name: record.name,
    hostname: record.hostname,
    state: record.state,
    is_public: record.is_public,
    priority: record.priority,
    domain_id: record.domain_id,
    labels: record.labels,
    tags: record.tags,
    created_at: record.created_at,
    updated_at: record.updated_at,
    last_seen_at: record.last_seen_at,
  };
}

function toRow(r: SupervisorRecord): SupervisorsTable {
  return {
    ...r,
    is_public: r.is_public ? 1 : 0,
    registered: r.registered ? 1 : 0,
    labels: JSON.stringify(r.labels),
    tags: JSON.stringify(r.tags),
  };
}

function fromRow(row: SupervisorsTable): SupervisorRecord {
  return {
    supervisor_id: row.supervisor_id,
    name: row.name,
    hostname: row.hostname,
    state: row.state as SupervisorState,
    is_public: Boolean(row.is_public),
    priority: Number(row.priority),
    domain_id: row.domain_id,
    labels: parseObject(row.labels),
    tags: parseObject(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_seen_at: row.last_seen_at,
    secret_hash: row.secret_hash,
    registered: Boolean(row.registered),
  };
}

function patchToRow(patch: SupervisorPatch): Partial<SupervisorsTable> {
  const row: Partial<SupervisorsTable> = { updated_at: patch.updated_at };
  if (patch.name !== undefined) row.name = patch.name;
  if (patch.is_public !== undefined) row.is_public = patch.is_public ? 1 : 0;
  if (patch.priority !== undefined) row.priority = patch.priority;
  if (patch.labels !== undefined) row.labels = JSON.stringify(patch.labels);
  if (patch.tags !== undefined) row.tags = JSON.stringify(patch.tags);
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.registered !== undefined) row.registered = patch.registered ? 1 : 0;
  if (patch.last_seen_at !== undefined) row.last_seen_at = patch.last_seen_at;
  return row;
}

/**
 * Parses a JSON-object column; anything else (also a column a projected query did not select)
 * reads as an empty object.
 */
export function parseObject(text: string | null | undefined): JsonObject {
  if (typeof text !== 'string') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}
