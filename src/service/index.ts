import type { Logger } from 'pino';
import { defaultCatalogPath, loadCatalog, type Catalog } from '../catalog/index.js';
import { systemClock, type Clock, type TieBreaker } from '../domain/index.js';
import type { Store } from '../store/index.js';
import { CleanupJob } from './cleanup-job.js';
import { ServiceEvents } from './events.js';
import { ListingService } from './listing.js';
import { PluginService } from './plugin-service.js';
import { SupervisorService } from './supervisor-service.js';

export type { Caller, Role } from './caller.js';
export { ServiceEvents } from './events.js';
export { effectiveDomain } from './tenancy.js';
export { hashSecret, verifySecret } from './secret.js';
export { parseRequest, supervisorRequests } from './validation.js';
export type { Page } from './listing.js';
export { SupervisorService, SUPERVISOR_INFO_KEYS } from './supervisor-service.js';
export {
  PluginService,
  DEFAULT_INSTALL_TIMEOUT_MS,
  leastLoaded,
  type PluginEndpoint,
} from './plugin-service.js';
export { pluginRequests } from './plugin-requests.js';
export { CleanupJob, DEFAULT_UNUSED_AFTER_MS, DEFAULT_CLEANUP_INTERVAL_MS } from './cleanup-job.js';
export { InstanceWaiters, isReady } from './instance-waiters.js';

/** What the transports serve: one object per API service, plus what they share. */
export interface Services {
  store: Store;
  events: ServiceEvents;
  clock: Clock;
  logger: Logger;
  supervisors: SupervisorService;
  plugins: PluginService;
  /** Removes unused instances; `serve` starts it, tests call `runOnce`. */
  cleanup: CleanupJob;
}

/** Options of `buildServices`. */
export interface ServicesOptions {
  logger: Logger;
  clock?: Clock;
  events?: ServiceEvents;
  /** The plugin catalog; default: the file at `defaultCatalogPath()`. */
  catalog?: Catalog;
  /** get_plugin_endpoint's wait for ACTIVE (default `DEFAULT_INSTALL_TIMEOUT_MS`). */
  installTimeoutMs?: number;
  /** How long an instance may go without handing out its endpoint (default three days). */
  unusedAfterMs?: number;
  /** How often the started cleanup job runs (default ten minutes). */
  cleanupIntervalMs?: number;
  /** Placement among supervisors of equal priority (default: least loaded, then random). */
  tieBreaker?: TieBreaker;
  /** Re-read waited instances this often, for several replicas (default 0: events only). */
  waitRecheckMs?: number;
}

/**
 * Builds the control plane's use cases over an open store. The cleanup job is built, not started.
 *
 * @throws CatalogError when no catalog is given and the default one is invalid.
 */
export async function buildServices(store: Store, options: ServicesOptions): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const events = options.events ?? new ServiceEvents();
  const logger = options.logger;
  const listing = new ListingService(store, clock, logger);
  const supervisors = new SupervisorService({ store, events, clock, logger, listing });
  const catalog = options.catalog ?? (await loadCatalog(defaultCatalogPath()));
  const plugins = new PluginService({
    store,
    events,
    clock,
    logger,
    catalog,
    installTimeoutMs: options.installTimeoutMs,
    tieBreaker: options.tieBreaker,
    waitRecheckMs: options.waitRecheckMs,
  });
  const cleanup = new CleanupJob({
    store,
    events,
    clock,
    logger,
    unusedAfterMs: options.unusedAfterMs,
    intervalMs: options.cleanupIntervalMs,
  });
  return { store, events, clock, logger, supervisors, plugins, cleanup };
}
