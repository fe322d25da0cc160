import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { openStore } from '../db.js';
import { migrationProvider } from './index.js';

describe('migration 004-desired-revision', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-migration-004-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives instances stored before it desired revision 1, and new ones too', async () => {
    const path = join(dir, 'pv.db');
    const old = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(path) }),
    });
    const migrated = await new Migrator({ db: old, provider: migrationProvider }).migrateTo(
      '003-query-indexes',
    );
    assert.equal(migrated.error, undefined);
    const t = '2026-12-03T12:00:00.000Z';
    await sql`INSERT INTO supervisors (supervisor_id, name, hostname, domain_id, state,
      created_at, updated_at, last_seen_at) VALUES ('sv-1', 'n', 'h', 'd', 'ENABLED', ${t}, ${t}, ${t})`.execute(
      old,
    );
    await sql`INSERT INTO installed_plugins (supervisor_id, plugin_id, version, state, domain_id,
      created_at, updated_at) VALUES ('sv-1', 'p', '1', 'ACTIVE', 'd', ${t}, ${t})`.execute(old);
    await old.destroy();

    const store = await openStore(`sqlite:${path}`);
    try {
      await store.db
        .insertInto('installed_plugins')
        .values({
          supervisor_id: 'sv-1',
          plugin_id: 'p',
          version: '2',
          state: 'PROVISIONING',
          endpoint: '',
          endpoints: '[]',
          managed: 1,
          domain_id: 'd',
          error_message: '',
          rr_counter: 0,
          created_at: t,
          updated_at: t,
          endpoint_called_at: null,
        })
        .execute();
      const rows = await store.db
        .selectFrom('installed_plugins')
        .select(['version', 'desired_revision'])
        .orderBy('version')
        .execute();
      assert.deepEqual(rows, [
        { version: '1', desired_revision: 1 },
        { version: '2', desired_revision: 1 },
      ]);
    } finally {
      await store.close();
    }
  });
});
