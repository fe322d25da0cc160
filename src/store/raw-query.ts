import { CompiledQuery, type Kysely } from 'kysely';
import type { SqlFragment } from '../query/index.js';
import type { Database } from './schema.js';

/**
 * Runs compiled SQL from the query layer. Parameters are adapted to what the driver binds:
 * better-sqlite3 refuses JavaScript booleans, and SQLite's JSON functions read JSON true/false
 * as 1/0, so booleans are bound as 1/0.
 */
export async function runFragment<R>(db: Kysely<Database>, fragment: SqlFragment): Promise<R[]> {
  const params = fragment.params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  const result = await db.executeQuery<R>(CompiledQuery.raw(fragment.sql, params));
  return result.rows;
}
