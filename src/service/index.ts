import type { Logger } from 'pino';
import { systemClock, type Clock } from '../domain/index.js';
import type { Store } from '../store/index.js';
import { ServiceEvents } from './events.js';
import { ListingService } from './listing.js';
import { loadStatEngine } from './stat.js';
import { SupervisorService } from './supervisor-service.js';

export type { Caller, Role } from './caller.js';
export { ServiceEvents } from './events.js';
export { effectiveDomain } from './tenancy.js';
export { hashSecret, verifySecret } from './secret.js';
export { parseRequest, supervisorRequests } from './validation.js';
export type { Page } from './listing.js';
export { SupervisorService, SUPERVISOR_INFO_KEYS } from './supervisor-service.js';

/** What the transports serve: one object per API service, plus what they share. */
export interface Services {
  store: Store;
  events: ServiceEvents;
  clock: Clock;
  logger: Logger;
  supervisors: SupervisorService;
}

/** Options of `buildServices`. */
export interface ServicesOptions {
  logger: Logger;
  clock?: Clock;
  events?: ServiceEvents;
}

/**
 * Builds the control plane's use cases over an open store. Other services (the Plugin API of
 * issue #4) are added here as further fields of `Services`.
 */
export async function buildServices(store: Store, options: ServicesOptions): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const events = options.events ?? new ServiceEvents();
  const logger = options.logger;
  const listing = new ListingService(store, await loadStatEngine(), logger);
  const supervisors = new SupervisorService({ store, events, clock, logger, listing });
  return { store, events, clock, logger, supervisors };
}
