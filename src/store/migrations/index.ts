import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-instance-claims.js';
import * as m003 from './003-query-indexes.js';
import * as m004 from './004-desired-revision.js';

/**
 * Every schema migration, in order. Names sort in the order they must run; a migration once
 * released is never edited, only followed by a new one.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '001-initial': m001,
  '002-instance-claims': m002,
  '003-query-indexes': m003,
  '004-desired-revision': m004,
};

/** Kysely's migration provider over the static list above (no directory scanning at run time). */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
