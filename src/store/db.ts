import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import { CachingSqliteDialect } from './sqlite-driver.js';
import type { Database } from './schema.js';

/** The SQL dialects the store speaks. */
export type DialectName = 'sqlite' | 'postgres';

/** An open, migrated store connection. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

/**
 * Opens the database named by `url` and brings its schema up to date.
 *
 * `sqlite:PATH` opens (creating if needed) a SQLite file in WAL mode; `sqlite::memory:` an
 * in-memory database. Other schemes are rejected with an error naming the URL's scheme.
 */
export async function openStore(url: string): Promise<Store> {
  const store = openByScheme(url);
  await migrate(store.db);
  return store;
}

function openByScheme(url: string): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  throw new Error(`unsupported database URL scheme in ${JSON.stringify(url.split(':')[0])}`);
}

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Unicode-aware lower-casing for case-insensitive filters (SQLite's lower() is ASCII only).
  sqlite.function('pv_lower', { deterministic: true }, (value: unknown) =>
    value === null || value === undefined ? null : String(value).toLowerCase(),
  );
  registerRegexp(sqlite);
  const db = new Kysely<Database>({ dialect: new CachingSqliteDialect(sqlite) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/** Most compiled patterns kept for reuse by `pv_regexp`. */
const REGEXP_CACHE_SIZE = 256;

/**
 * `pv_regexp(pattern, value, flags)`: 1 when the JS RegExp matches the text `value`, 0 otherwise
 * (also for non-text values and invalid patterns, which the query parser already refuses).
 */
function registerRegexp(sqlite: BetterSqlite3.Database): void {
  const cache = new Map<string, RegExp | null>();
  sqlite.function(
    'pv_regexp',
    { deterministic: true },
    (pattern: unknown, value: unknown, flags: unknown) => {
      if (typeof value !== 'string' || typeof pattern !== 'string') return 0;
      const id = `${String(flags)}/${pattern}`;
      let re = cache.get(id);
      if (re === undefined) {
        try {
          re = new RegExp(pattern, typeof flags === 'string' ? flags : '');
        } catch {
          re = null;
        }
        if (cache.size >= REGEXP_CACHE_SIZE) cache.clear();
        cache.set(id, re);
      }
      return re !== null && re.test(value) ? 1 : 0;
    },
  );
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
