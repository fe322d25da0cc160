import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.js';
import {
  InstallPluginTimeoutError,
  NotFoundError,
  PLUGIN_STATES,
  isoTime,
  placeInstance,
  qualifies,
  shuffleTies,
  type Clock,
  type PlacementCandidate,
  type TieBreaker,
} from '../domain/index.js';
import type { Store } from '../store/index.js';
import {
  PluginEndpointRepository,
  identityOf,
  type ClaimRequest,
  type InstanceIdentity,
  type PlacedInstance,
} from '../store/plugin-endpoint-repository.js';
import type { Caller } from './caller.js';
import type { ServiceEvents } from './events.js';
import { DomainUseStamps } from './domain-use-stamps.js';
import { InstanceWaiters, isReady } from './instance-waiters.js';
import { pluginRequests } from './plugin-requests.js';
import { assertMayCall, effectiveDomain } from './tenancy.js';
import { parseRequest } from './validation.js';

/** How long get_plugin_endpoint waits for a new or recovering instance to become ACTIVE. */
export const DEFAULT_INSTALL_TIMEOUT_MS = 150_000;

/** Rounds of find-or-create before giving up on an instance that keeps vanishing. */
const MAX_ROUNDS = 5;

/** What get_plugin_endpoint answers (PluginEndpoint). */
export interface PluginEndpoint {
  endpoint: string;
  access_token: string;
  updated_version: string;
}

/** Options of the Plugin use cases. */
export interface PluginServiceOptions {
  store: Store;
  events: ServiceEvents;
  clock: Clock;
  logger: Logger;
  catalog: Catalog;
  /** Default `DEFAULT_INSTALL_TIMEOUT_MS`. */
  installTimeoutMs?: number;
  /** Orders supervisors of equal priority; default: fewest instances first, then random. */
  tieBreaker?: TieBreaker;
  /** Cross-replica safety net for waiting calls (see `InstanceWaiters`); default 0, off. */
  waitRecheckMs?: number;
}

/**
 * The use cases of `spaceone.api.plugin.v1.Plugin` (docs/plugins.md).
 *
 * get_plugin_endpoint finds an instance of `plugin_id@version` the domain may use (its supervisor
 * ENABLED, the domain's own or public, carrying the requested labels) or has one created through a
 * single-flight claim in the database, waits until an agent reports it ACTIVE (woken by publish
 * events, bounded by the install timeout), and hands out one of its endpoints round-robin.
 */
export class PluginService {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #catalog: Catalog;
  readonly #installTimeoutMs: number;
  readonly #tieBreaker: TieBreaker | undefined;
  readonly #waiters: InstanceWaiters;
  readonly #domainStamps = new DomainUseStamps();

  constructor(options: PluginServiceOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#catalog = options.catalog;
    this.#installTimeoutMs = options.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
    this.#tieBreaker = options.tieBreaker;
    this.#waiters = new InstanceWaiters(
      this.#events,
      (key) => this.#repo().findInstance(key),
      options.waitRecheckMs ?? 0,
    );
  }

  /** How many get_plugin_endpoint calls are waiting for an instance now. */
  get waitingCalls(): number {
    return this.#waiters.size;
  }

  /**
   * The endpoint of a running instance of the requested plugin, deploying one if needed.
   *
   * @throws PermissionDeniedError for an agent's token; RequiredParameterError (plugin_id;
   *   version under MANUAL); PluginNotFoundError;
   *   InvalidPluginVersionError; NoPossibleSupervisorError naming the labels;
   *   InstallPluginTimeoutError when no instance became ACTIVE in time (the instance is then
   *   marked ERROR with the reason); `signal`'s reason when the caller goes away.
   */
  async getPluginEndpoint(
    caller: Caller,
    input: unknown,
    signal?: AbortSignal,
  ): Promise<PluginEndpoint> {
    assertMayCall(caller, 'get_plugin_endpoint');
    const request = parseRequest(pluginRequests.getPluginEndpoint, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const resolved = this.#catalog.resolveVersion(
      request.plugin_id,
      request.version ?? '',
      request.upgrade_mode,
    );
    const want: ClaimRequest = {
      domain_id: domainId,
      plugin_id: request.plugin_id,
      version: resolved.version,
      labels: request.labels,
    };

    const endpoint = await this.#obtainEndpoint(
      want,
      performance.now() + this.#installTimeoutMs,
      signal,
    );
    return { endpoint, access_token: '', updated_version: resolved.updated_version };
  }

  /**
   * Marks the instance ERROR (from any state) with the reason, so that its agent recreates it.
   *
   * @throws PermissionDeniedError for an agent's token; NotFoundError when the domain cannot see
   *   that instance.
   */
  async notifyFailure(caller: Caller, input: unknown): Promise<void> {
    assertMayCall(caller, 'notify_failure');
    const request = parseRequest(pluginRequests.notifyFailure, input);
    const domainId = effectiveDomain(caller, request.domain_id);
    const key: InstanceIdentity = {
      supervisor_id: request.supervisor_id,
      plugin_id: request.plugin_id,
      version: request.version,
    };

    const repo = this.#repo();
    if (!(await repo.isVisibleTo(domainId, key))) {
      throw new NotFoundError('plugin', `${key.plugin_id}@${key.version}`);
    }

    const reason = `reported failing through notify_failure by domain ${domainId}`;
    await repo.transition(key, PLUGIN_STATES, 'ERROR', this.#now(), reason);
    this.#events.desiredChanged(key.supervisor_id);
    this.#log.info({ ...logKey(key), domainId }, 'Installed plugin marked failed');
  }

  async #obtainEndpoint(
    want: ClaimRequest,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const warm = await this.#handOutIfReady(want);
    if (warm !== undefined) return warm;

    for (let round = 0; round < MAX_ROUNDS; round++) {
      const key = await this.#findOrCreate(want);
      const outcome = await this.#waiters.wait(key, deadline - performance.now(), signal);
      if (outcome === 'gone') continue;

      const createdAt = outcome === 'timeout' ? undefined : outcome.created_at;
      const endpoint = await this.#handOut(key, want.domain_id, createdAt);
      if (endpoint !== undefined) return endpoint;
      if (outcome === 'timeout') throw await this.#timedOut(key);
    }
    throw new Error(`instance of ${want.plugin_id}@${want.version} kept disappearing`);
  }

  /**
   * The warm path: when the best usable instance is ready, hand out its endpoint at once (one
   * SELECT, one UPDATE, no transaction, no waiter). Undefined sends the call down the full path
   * (no ready instance, or it changed between the two statements).
   */
  async #handOutIfReady(want: ClaimRequest): Promise<string | undefined> {
    if (Object.keys(want.labels).length === 0) return this.#handOutBest(want);

    const best = await this.#findUsable(this.#repo(), want);
    if (best === undefined || !isReady(best)) return undefined;
    return this.#handOut(best, want.domain_id, best.created_at);
  }

  /** The warm path without labels: choice and hand-out in one statement (`handOutBest`). */
  async #handOutBest(want: ClaimRequest): Promise<string | undefined> {
    const repo = this.#repo();
    const at = this.#clock.now();
    const now = isoTime(at);
    const out = await repo.handOutBest(want.domain_id, want.plugin_id, want.version, now);
    if (out === undefined) return undefined;

    await this.#stampDomainUse(repo, out.instance, want.domain_id, out.createdAt, at);
    return out.endpoint;
  }

  /**
   * Hands out an endpoint of the instance and stamps the domain's use of it. The domain stamp is
   * written at most once a second per domain and instance (`createdAt` tells a recreated
   * instance apart; without it the stamp is always written); the instance's own stamp, which the
   * cleanup job reads, is written on every call.
   */
  async #handOut(
    key: InstanceIdentity,
    domainId: string,
    createdAt: string | undefined,
  ): Promise<string | undefined> {
    const repo = this.#repo();
    const at = this.#clock.now();
    const now = isoTime(at);
    const endpoint = await repo.handOutEndpoint(key, now);
    if (endpoint === undefined) return undefined;

    await this.#stampDomainUse(repo, key, domainId, createdAt, at);
    return endpoint;
  }

  /** Writes the domain's use stamp unless it was written within the last second. */
  async #stampDomainUse(
    repo: PluginEndpointRepository,
    key: InstanceIdentity,
    domainId: string,
    createdAt: string | undefined,
    at: Date,
  ): Promise<void> {
    const use = createdAt === undefined ? undefined : domainUseId(key, domainId, createdAt);
    if (use !== undefined && !this.#domainStamps.isDue(use, at.getTime())) return;
    await repo.stampDomainUse(key, domainId, isoTime(at));
    if (use !== undefined) this.#domainStamps.written(use, at.getTime());
  }

  /** The instance that serves `want`: an existing usable one, else the claimed or a new one. */
  async #findOrCreate(want: ClaimRequest): Promise<InstanceIdentity> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const existing = await this.#findUsable(this.#repo(), want);
      const key = existing === undefined ? await this.#claim(want) : identityOf(existing);
      if (key === undefined) continue;

      await this.#useInstance(key, want.domain_id);
      return key;
    }
    throw new Error(`the claim for ${want.plugin_id}@${want.version} kept changing hands`);
  }

  /** The best instance `want`'s domain may use: ACTIVE first, then highest priority. */
  async #findUsable(
    repo: PluginEndpointRepository,
    want: ClaimRequest,
  ): Promise<PlacedInstance | undefined> {
    const placed = await repo.findPlaced(want.domain_id, want.plugin_id, want.version);
    const usable = placed.filter((p) => qualifies(p.supervisor, want.domain_id, want.labels));
    usable.sort(
      (a, b) =>
        stateRank(a) - stateRank(b) ||
        b.supervisor.priority - a.supervisor.priority ||
        (a.supervisor_id < b.supervisor_id ? -1 : 1),
    );
    return usable[0];
  }

  /**
   * Single-flight creation. The claim row is written first, so that concurrent requests (in this
   * process or in other replicas) queue on it in the database: the first places and creates the
   * instance in the same transaction; the others, running after it committed, find that instance
   * usable and join it. When the claimed instance is gone or its supervisor no longer qualifies,
   * the claim moves to a usable instance or a newly placed supervisor.
   *
   * @returns undefined when another request moved or removed the claim meanwhile (try again).
   */
  async #claim(want: ClaimRequest): Promise<InstanceIdentity | undefined> {
    const outcome = await this.#store.db.transaction().execute(async (trx) => {
      const repo = new PluginEndpointRepository(trx);
      const now = this.#now();
      await repo.insertClaim(want, '', now);
      const claim = await repo.findClaim(want);
      if (claim === undefined) return undefined;

      const current = await this.#findUsable(repo, want);
      const supervisorId = current?.supervisor_id ?? (await this.#place(repo, want)).supervisor_id;
      if (
        claim.supervisor_id !== supervisorId &&
        !(await repo.moveClaim(claim, supervisorId, now))
      ) {
        return undefined;
      }

      const key = { supervisor_id: supervisorId, plugin_id: want.plugin_id, version: want.version };
      if (current !== undefined) return { key, created: false };
      return { key, created: await repo.insertInstance(key, want.domain_id, now) };
    });

    if (outcome?.created === true) {
      this.#events.desiredChanged(outcome.key.supervisor_id);
      this.#log.info(
        { ...logKey(outcome.key), domainId: want.domain_id },
        'Installed plugin created',
      );
    }
    return outcome?.key;
  }

  async #place(repo: PluginEndpointRepository, want: ClaimRequest): Promise<PlacementCandidate> {
    const candidates = await repo.placementCandidates(want.domain_id);
    const tieBreaker =
      this.#tieBreaker ??
      leastLoaded(await repo.instanceCounts(candidates.map((c) => c.supervisor_id)));
    return placeInstance(
      candidates,
      want.domain_id,
      want.labels,
      tieBreaker,
    )[0] as PlacementCandidate;
  }

  /** Records the domain's use; an instance in ERROR is sent to recovery (RE_PROVISIONING). */
  async #useInstance(key: InstanceIdentity, domainId: string): Promise<void> {
    const repo = this.#repo();
    const now = this.#now();
    await repo.addDomain(key, domainId, now);

    if (await repo.transition(key, ['ERROR'], 'RE_PROVISIONING', now)) {
      this.#events.desiredChanged(key.supervisor_id);
      this.#log.info({ ...logKey(key), domainId }, 'Installed plugin recovering on request');
    }
  }

  async #timedOut(key: InstanceIdentity): Promise<InstallPluginTimeoutError> {
    const seconds = this.#installTimeoutMs / 1000;
    const reason = `did not become ACTIVE within ${seconds}s of a get_plugin_endpoint request`;
    const marked = await this.#repo().transition(
      key,
      ['PROVISIONING', 'RE_PROVISIONING'],
      'ERROR',
      this.#now(),
      reason,
    );
    if (marked) {
      this.#events.desiredChanged(key.supervisor_id);
      this.#log.warn(logKey(key), 'Installed plugin timed out');
    }
    return new InstallPluginTimeoutError(key.plugin_id, key.version, seconds);
  }

  #repo(): PluginEndpointRepository {
    return new PluginEndpointRepository(this.#store.db);
  }

  #now(): string {
    return isoTime(this.#clock.now());
  }
}

/** Fewest installed plugins first; random among equals (the sort is stable). */
export function leastLoaded(counts: ReadonlyMap<string, number>): TieBreaker {
  const load = (s: PlacementCandidate) => counts.get(s.supervisor_id) ?? 0;
  return (tied) => shuffleTies(tied).sort((a, b) => load(a) - load(b));
}

function stateRank(instance: PlacedInstance): number {
  if (instance.state === 'ACTIVE') return 0;
  if (instance.state === 'ERROR') return 2;
  return 1;
}

function domainUseId(key: InstanceIdentity, domainId: string, createdAt: string): string {
  return JSON.stringify([domainId, key.supervisor_id, key.plugin_id, key.version, createdAt]);
}

function logKey(key: InstanceIdentity) {
  return { supervisorId: key.supervisor_id, pluginId: key.plugin_id, version: key.version };
}
