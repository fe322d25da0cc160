import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { openStore, type Store } from '../store/db.js';
import type { Insertable } from 'kysely';
import type { InstalledPluginsTable, SupervisorsTable } from '../store/schema.js';
import type { SqlFragment } from './sql.js';

/** A real SQLite store in a temporary folder, for the query tests. */
export interface TestStore {
  store: Store;
  /** Runs one compiled statement and returns its rows. */
  run(fragment: SqlFragment): Promise<Record<string, unknown>[]>;
  /** Closes the store and removes its folder. */
  dispose(): Promise<void>;
}

/** Opens a fresh migrated store and inserts the given rows through Kysely into the real tables. */
export async function openTestStore(
  supervisors: SupervisorsTable[],
  plugins: Insertable<InstalledPluginsTable>[] = [],
): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'plugvisor-query-'));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  for (let i = 0; i < supervisors.length; i += 500) {
    await store.db
      .insertInto('supervisors')
      .values(supervisors.slice(i, i + 500))
      .execute();
  }
  for (let i = 0; i < plugins.length; i += 500) {
    await store.db
      .insertInto('installed_plugins')
      .values(plugins.slice(i, i + 500))
      .execute();
  }
  return {
    store,
    run: async (f) => {
      const result = await store.db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(f.sql, f.params),
      );
      return result.rows;
    },
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A supervisor row with defaults for every column not given. */
export function supervisorRow(
  s: Partial<SupervisorsTable> & { supervisor_id: string },
): SupervisorsTable {
  return {
    name: s.supervisor_id,
    hostname: `${s.supervisor_id}.local`,
    domain_id: 'domain-a',
    state: 'ENABLED',
    is_public: 0,
    priority: 10,
    labels: '{}',
    tags: '{}',
    secret_hash: '',
    registered: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    last_seen_at: '2026-01-01T00:00:00.000Z',
    ...s,
  };
}
