import { CompiledQuery, type Kysely } from 'kysely';
import { InvalidQueryError } from '../domain/errors.js';
import type { SqlFragment } from '../query/index.js';
import type { Database } from './schema.js';

/**
 * Most bound values in one statement. SQLite refuses more than 32766 and PostgreSQL more than
 * 65535; a query needing more (long `in` lists) is the client's mistake, not an internal error.
 */
export const MAX_QUERY_PARAMS = 10_000;

/**
 * Runs compiled SQL from the query layer. Parameters are adapted to what the driver binds:
 * better-sqlite3 refuses JavaScript booleans, and SQLite's JSON functions read JSON true/false
 * as 1/0, so booleans are bound as 1/0.
 *
 * @throws InvalidQueryError when the statement binds more than MAX_QUERY_PARAMS values.
 */
export async function runFragment<R>(db: Kysely<Database>, fragment: SqlFragment): Promise<R[]> {
  if (fragment.params.length > MAX_QUERY_PARAMS) {
    throw new InvalidQueryError(
      'query',
      `needs ${fragment.params.length} values; at most ${MAX_QUERY_PARAMS} (shorten the lists)`,
    );
  }
  const params = fragment.params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  const result = await db.executeQuery<R>(CompiledQuery.raw(fragment.sql, params));
  return result.rows;
}
