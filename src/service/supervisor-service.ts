import type { Logger } from 'pino';
import {
  InstalledPluginExistError,
  InvalidParameterError,
  NotFoundError,
  PermissionDeniedError,
  SupervisorUpdateError,
  UPDATABLE_SUPERVISOR_FIELDS,
  isoTime,
  newSupervisorId,
  nextPluginState,
  nextSupervisorState,
  normalizeEndpoints,
  pluginStatesAllowing,
  stateAfterPublish,
  statesAllowing,
  type Clock,
  type InstalledPlugin,
  type Supervisor,
  type SupervisorAction,
} from '../domain/index.js';
import {
  InstalledPluginRepository,
  SupervisorRepository,
  toSupervisor,
  type Store,
  type SupervisorRecord,
} from '../store/index.js';
import type { Caller } from './caller.js';
import type { ServiceEvents } from './events.js';
import type { ListingService } from './listing.js';
import { type Page } from './listing.js';
import { hashSecret, verifySecret } from './secret.js';
import {
  assertMayCall,
  assertMayManage,
  assertMayPublishAs,
  assertMaySee,
  assertMaySetPublic,
  effectiveDomain,
  pluginScope,
} from './tenancy.js';
import {
  parseRequest,
  supervisorRequests as schemas,
  type PublishRequest,
  type RegisterRequest,
} from './validation.js';

/** Keys a SupervisorInfo has; `get`'s `only` may name these. */
export const SUPERVISOR_INFO_KEYS = [
  'supervisor_id',
  'name',
  'hostname',
  'state',
  'is_public',
  'priority',
  'domain_id',
  'labels',
  'tags',
  'created_at',
  'updated_at',
  'last_seen_at',
] as const;

/** How many installed plugins a deregister refusal names. */
const MAX_NAMED_INSTANCES = 5;
/** How often a state change retries after losing a race with another writer. */
const MAX_STATE_RETRIES = 3;

/** Options of the supervisor use cases. */
export interface SupervisorServiceOptions {
  store: Store;
  events: ServiceEvents;
  clock: Clock;
  logger: Logger;
  listing: ListingService;
}

/**
 * The use cases of `spaceone.api.plugin.v1.Supervisor`. Each method takes the `Caller` and the
 * request as plain JSON (as both transports deliver it), validates it, decides the domain from the
 * caller, and returns domain values. Failures are errors of the catalogue in `domain/errors.ts`.
 */
export class SupervisorService {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #listing: ListingService;

  constructor(options: SupervisorServiceOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#listing = options.listing;
  }

  /**
   * The agent's heartbeat: creates the supervisor of (domain, hostname) in PENDING on the first
   * call and returns the same one afterwards, refreshing its last-seen time and applying the
   * reported `plugin_info` to installed plugins that exist.
   *
   * @throws PermissionDeniedError when the secret does not match the stored one, or a non-system
   *   caller sets is_public. Nothing is written then.
   */
  async publish(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'publish');
    const request = parseRequest(schemas.publish, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    assertMayPublishAs(caller, request.name);

    const created = await this.#createIfAbsent(caller, domainId, request);
    const record = created ?? (await this.#refresh(caller, domainId, request));
    const applied = await this.#applyPluginInfo(record.supervisor_id, request);
    if (applied) this.#events.instancesReported(record.supervisor_id);
    return toSupervisor(record);
  }

  /** PENDING → ENABLED, also applying the request's optional fields. */
  async register(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'register');
    const request = parseRequest(schemas.register, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const current = await this.#manageable(caller, domainId, request.supervisor_id);
    assertMaySetPublic(caller, request.is_public, current.is_public);
    return this.#changeState(domainId, request.supervisor_id, 'register', updatableFields(request));
  }

  /** DISABLED | DISCONNECTED → ENABLED (ENABLED stays). */
  async enable(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'enable');
    const request = parseRequest(schemas.action, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    await this.#manageable(caller, domainId, request.supervisor_id);
    return this.#changeState(domainId, request.supervisor_id, 'enable', {});
  }

  /** ENABLED | DISCONNECTED → DISABLED (DISABLED stays). */
  async disable(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'disable');
    const request = parseRequest(schemas.action, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    await this.#manageable(caller, domainId, request.supervisor_id);
    return this.#changeState(domainId, request.supervisor_id, 'disable', {});
  }

  /**
   * Changes name, is_public, priority, labels or tags.
   *
   * @throws SupervisorUpdateError naming the first other field the request carries.
   */
  async update(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'update');
    rejectNonUpdatableFields(input);
    const request = parseRequest(schemas.register, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const current = await this.#manageable(caller, domainId, request.supervisor_id);
    assertMaySetPublic(caller, request.is_public, current.is_public);

    const now = isoTime(this.#clock.now());
    const repo = new SupervisorRepository(this.#store.db);
    const changed = await repo.update(domainId, request.supervisor_id, {
      ...updatableFields(request),
      updated_at: now,
    });
    if (!changed) throw new NotFoundError('supervisor_id', request.supervisor_id);
    this.#log.info({ supervisorId: request.supervisor_id, domainId }, 'Supervisor updated');
    return this.#getRecord(domainId, request.supervisor_id);
  }

  /**
   * Deletes the supervisor.
   *
   * @throws InstalledPluginExistError naming up to five instances while any reference it.
   */
  async deregister(caller: Caller, input: unknown): Promise<void> {
    assertMayCall(caller, 'deregister');
    const request = parseRequest(schemas.action, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const supervisorId = request.supervisor_id;
    await this.#manageable(caller, domainId, supervisorId);

    await this.#store.db.transaction().execute(async (trx) => {
      const supervisors = new SupervisorRepository(trx);
      if ((await supervisors.findById(domainId, supervisorId)) === undefined) {
        throw new NotFoundError('supervisor_id', supervisorId);
      }
      const refs = await new InstalledPluginRepository(trx).referencesTo(
        supervisorId,
        MAX_NAMED_INSTANCES,
      );
      if (refs.total > 0) throw new InstalledPluginExistError(supervisorId, namedRefs(refs));
      await supervisors.delete(domainId, supervisorId);
    });
    this.#log.info({ supervisorId, domainId }, 'Supervisor deregistered');
  }

  /**
   * Moves an installed plugin ACTIVE | ERROR → RE_PROVISIONING so that its agent recreates it.
   *
   * @throws NotFoundError when the instance does not exist for the domain; PluginStateError when
   *   it is in another state.
   */
  async recoverPlugin(caller: Caller, input: unknown): Promise<InstalledPlugin> {
    assertMayCall(caller, 'recover_plugin');
    const request = parseRequest(schemas.recoverPlugin, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const key = {
      supervisor_id: request.supervisor_id,
      plugin_id: request.plugin_id,
      version: request.version,
    };
    const repo = new InstalledPluginRepository(this.#store.db);
    const found = await repo.find(domainId, key);
    if (found === undefined) {
      throw new NotFoundError('plugin', `${request.plugin_id}@${request.version}`);
    }
    const onPublic = await new SupervisorRepository(this.#store.db).isPublic(key.supervisor_id);
    if (onPublic === true && caller.role !== 'SYSTEM') {
      throw new PermissionDeniedError('only the system role may manage a public supervisor');
    }

    const now = isoTime(this.#clock.now());
    const to = nextPluginState('recover', found, found.state);
    if (!(await repo.transition(key, pluginStatesAllowing('recover'), to, now))) {
      const current = await repo.find(domainId, key);
      nextPluginState('recover', found, current?.state ?? found.state);
    }
    this.#events.desiredChanged(request.supervisor_id);
    this.#log.info(
      { supervisorId: key.supervisor_id, pluginId: key.plugin_id, version: key.version, domainId },
      'Installed plugin recovering',
    );
    return (await repo.find(domainId, key)) ?? { ...found, state: to, updated_at: now };
  }

  /**
   * One supervisor; with `only`, just those fields.
   *
   * @throws NotFoundError when it does not exist in the caller's domain.
   */
  async get(caller: Caller, input: unknown): Promise<Partial<Supervisor>> {
    assertMayCall(caller, 'get');
    const request = parseRequest(schemas.get, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const only = request.only?.filter((k) => k !== '');
    for (const [i, key] of (only ?? []).entries()) {
      if (!(SUPERVISOR_INFO_KEYS as readonly string[]).includes(key)) {
        throw new InvalidParameterError(`only[${i}]`, `${key} is not a SupervisorInfo field`);
      }
    }
    const supervisor = await this.#getRecord(domainId, request.supervisor_id);
    return only === undefined || only.length === 0 ? supervisor : pick(supervisor, only);
  }

  /**
   * The supervisor whose desired changes the caller asks to watch (plugvisor.v1.AgentChannel):
   * SYSTEM and DOMAIN_ADMIN for any supervisor of the domain, an agent only for its own.
   *
   * @throws NotFoundError when the caller may not see it, exactly as for a missing one.
   */
  async watchable(caller: Caller, input: unknown): Promise<Supervisor> {
    assertMayCall(caller, 'watch');
    const request = parseRequest(schemas.get, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const record = await new SupervisorRepository(this.#store.db).findById(
      domainId,
      request.supervisor_id,
    );
    const supervisor = record === undefined ? undefined : toSupervisor(record);
    assertMaySee(caller, domainId, supervisor, request.supervisor_id);
    return supervisor;
  }

  /** The domain's supervisors matching the direct fields and `query`. */
  async list(caller: Caller, input: unknown): Promise<Page<Partial<Supervisor>>> {
    assertMayCall(caller, 'list');
    const request = parseRequest(schemas.list, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    return this.#listing.listSupervisors(domainId, request);
  }

  /** A StatisticsQuery over the domain's supervisors: `{ results, total_count? }`. */
  async stat(caller: Caller, input: unknown): Promise<Record<string, unknown>> {
    assertMayCall(caller, 'stat');
    const request = parseRequest(schemas.stat, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    return this.#listing.statSupervisors(domainId, request.query);
  }

  /** Installed plugins the domain sees, matching the direct fields and `query`. */
  async listPlugins(caller: Caller, input: unknown): Promise<Page<Partial<InstalledPlugin>>> {
    assertMayCall(caller, 'list_plugins');
    const request = parseRequest(schemas.listPlugins, input);
    const scope = pluginScope(caller, request.domain_id);
    return this.#listing.listInstalledPlugins(scope.domainId, request, scope.supervisorName);
  }

  async #createIfAbsent(
    caller: Caller,
    domainId: string,
    request: PublishRequest,
  ): Promise<SupervisorRecord | undefined> {
    const repo = new SupervisorRepository(this.#store.db);
    if ((await repo.findByHostname(domainId, request.hostname)) !== undefined) return undefined;
    assertMaySetPublic(caller, request.is_public);

    const now = isoTime(this.#clock.now());
    const record: SupervisorRecord = {
      supervisor_id: newSupervisorId(),
      name: request.name,
      hostname: request.hostname,
      state: 'PENDING',
      is_public: request.is_public ?? false,
      priority: 10,
      domain_id: domainId,
      labels: request.labels ?? {},
      tags: request.tags ?? {},
      created_at: now,
      updated_at: now,
      last_seen_at: now,
      secret_hash:
        request.secret_key === undefined || request.secret_key === ''
          ? ''
          : await hashSecret(request.secret_key),
      registered: false,
    };
    if (!(await repo.insertIfAbsent(record))) return undefined;
    this.#log.info({ supervisorId: record.supervisor_id, domainId }, 'Supervisor created');
    return record;
  }

  async #refresh(
    caller: Caller,
    domainId: string,
    request: PublishRequest,
  ): Promise<SupervisorRecord> {
    const repo = new SupervisorRepository(this.#store.db);
    for (let attempt = 0; attempt < MAX_STATE_RETRIES; attempt++) {
      const current = await repo.findByHostname(domainId, request.hostname);
      if (current === undefined) throw new NotFoundError('hostname', request.hostname);
      // An agent may refresh only the supervisor of its own name; the secret guards the rest.
      assertMayPublishAs(caller, current.name);
      await checkSecret(current, request.secret_key);
      assertMaySetPublic(caller, request.is_public, current.is_public);

      const now = isoTime(this.#clock.now());
      const state = stateAfterPublish(current.state, current.registered);
      const patch = {
        name: request.name,
        labels: request.labels,
        tags: request.tags,
        is_public: request.is_public,
        state,
        last_seen_at: now,
        updated_at: now,
      };
      if (await repo.update(domainId, current.supervisor_id, patch, [current.state])) {
        if (state !== current.state) {
          this.#log.info(
            { supervisorId: current.supervisor_id, domainId, state },
            'Supervisor state changed',
          );
        }
        return { ...current, ...withoutUndefined(patch) };
      }
    }
    throw new Error('supervisor state kept changing during publish');
  }

  async #applyPluginInfo(supervisorId: string, request: PublishRequest): Promise<boolean> {
    const reports = request.plugin_info ?? [];
    if (reports.length === 0) return false;

    const now = isoTime(this.#clock.now());
    let applied = 0;
    await this.#store.db.transaction().execute(async (trx) => {
      const repo = new InstalledPluginRepository(trx);
      for (const report of reports) {
        const endpoints =
          report.endpoints === undefined ? undefined : normalizeEndpoints(report.endpoints);
        const outcome = await repo.applyReport(supervisorId, { ...report, endpoints }, now);
        if (outcome === 'applied') applied++;
        else
          this.#log.debug(
            {
              supervisorId,
              pluginId: report.plugin_id,
              version: report.version,
              revision: report.revision ?? 0,
            },
            outcome === 'stale'
              ? 'Reported plugin state is stale; ignored'
              : 'Reported plugin is not installed; ignored',
          );
      }
    });
    return applied > 0;
  }

  async #changeState(
    domainId: string,
    supervisorId: string,
    action: SupervisorAction,
    fields: Partial<ReturnType<typeof updatableFields>>,
  ): Promise<Supervisor> {
    const repo = new SupervisorRepository(this.#store.db);
    for (let attempt = 0; attempt < MAX_STATE_RETRIES; attempt++) {
      const current = await this.#getRecord(domainId, supervisorId);
      const to = nextSupervisorState(action, supervisorId, current.state);
      const patch = {
        ...fields,
        state: to,
        // Enabling accepts a supervisor as registering does, so that heartbeats can revive it later.
        registered: action === 'register' || action === 'enable' ? true : undefined,
        updated_at: isoTime(this.#clock.now()),
      };
      if (await repo.update(domainId, supervisorId, patch, statesAllowing(action))) {
        this.#log.info({ supervisorId, domainId, state: to }, 'Supervisor state changed');
        return this.#getRecord(domainId, supervisorId);
      }
    }
    const latest = await this.#getRecord(domainId, supervisorId);
    nextSupervisorState(action, supervisorId, latest.state);
    return latest;
  }

  /**
   * The supervisor, if the caller may manage it: NOT_FOUND when it is not in the domain,
   * PERMISSION_DENIED when it is public and the caller is not SYSTEM.
   */
  async #manageable(caller: Caller, domainId: string, supervisorId: string): Promise<Supervisor> {
    const record = await new SupervisorRepository(this.#store.db).findById(domainId, supervisorId);
    const supervisor = record === undefined ? undefined : toSupervisor(record);
    assertMayManage(caller, domainId, supervisor, supervisorId);
    return supervisor;
  }

  async #getRecord(domainId: string, supervisorId: string): Promise<Supervisor> {
    const record = await new SupervisorRepository(this.#store.db).findById(domainId, supervisorId);
    if (record === undefined) throw new NotFoundError('supervisor_id', supervisorId);
    return toSupervisor(record);
  }
}

/** Fields every request of `update` may carry besides the updatable ones. */
const UPDATE_KEY_FIELDS = ['supervisor_id', 'domain_id'];

function rejectNonUpdatableFields(input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return;
  const allowed = new Set<string>([...UPDATE_KEY_FIELDS, ...UPDATABLE_SUPERVISOR_FIELDS]);
  const extra = Object.keys(input).find((key) => !allowed.has(key));
  if (extra !== undefined) throw new SupervisorUpdateError(extra);
}

function updatableFields(request: RegisterRequest) {
  return {
    name: request.name,
    is_public: request.is_public,
    priority: request.priority,
    labels: request.labels,
    tags: request.tags,
  };
}

/**
 * A publish must present the secret the supervisor was created with: a different or missing one
 * is refused, and so is a secret for a supervisor created without one (that would let anyone
 * claim it by adding a secret).
 */
async function checkSecret(record: SupervisorRecord, secret: string | undefined): Promise<void> {
  const given = secret !== undefined && secret !== '';
  if (record.secret_hash === '' && !given) return;
  if (record.secret_hash !== '' && given && (await verifySecret(secret, record.secret_hash)))
    return;
  throw new PermissionDeniedError(
    `secret_key does not match the one supervisor ${record.supervisor_id} was published with`,
  );
}

function namedRefs(refs: { total: number; sample: string[] }): string[] {
  const more = refs.total - refs.sample.length;
  return more > 0 ? [...refs.sample, `and ${more} more`] : refs.sample;
}

function pick<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) {
    if (key in value)
      (out as Record<string, unknown>)[key] = (value as Record<string, unknown>)[key];
  }
  return out;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
