import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../store/index.js';
import { buildServices, type Services, type ServicesOptions } from './index.js';

/** Services over a fresh SQLite file, for the service tests. */
export interface TestServices {
  services: Services;
  /** Closes the store and removes its temp directory. */
  close(): Promise<void>;
}

/**
 * Builds every service over a new SQLite file in a temp directory, logging nothing. `options`
 * override the defaults of `buildServices` (catalog, clock, timeouts…).
 */
export async function openTestServices(
  options: Partial<ServicesOptions> = {},
): Promise<TestServices> {
  const dir = mkdtempSync(join(tmpdir(), 'pv-services-'));
  const store = await openStore(`sqlite:${join(dir, 'pv.db')}`);
  const services = await buildServices(store, { logger: pino({ level: 'silent' }), ...options });
  return {
    services,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
