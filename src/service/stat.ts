import { compileStat, parseStatQuery } from '../query/index.js';
import type { ResourceSchema, SqlDialect, SqlFragment } from '../query/index.js';
import { runFragment, type Store } from '../store/index.js';

/** Everything one stat call needs. */
export interface StatRun {
  store: Store;
  schema: ResourceSchema;
  source: SqlFragment;
  dialect: SqlDialect;
  query: unknown;
}

/**
 * Runs a StatisticsQuery in the database: `{ results }`, plus `total_count` when the query is
 * paged. The query layer validates and compiles; this only executes and maps rows.
 *
 * @throws InvalidQueryError when the query is invalid.
 */
export async function runStat(run: StatRun): Promise<Record<string, unknown>> {
  const parsed = parseStatQuery(run.schema, run.query);
  const compiled = compileStat(run.schema, run.source, parsed, run.dialect);
  const rows = await runFragment<Record<string, unknown>>(run.store.db, compiled);
  const answer: Record<string, unknown> = { results: rows.map((row) => compiled.mapRow(row)) };
  if (compiled.count !== undefined) {
    const count = await runFragment<Record<string, unknown>>(run.store.db, compiled.count);
    answer['total_count'] = Number(Object.values(count[0] ?? {})[0] ?? 0);
  }
  return answer;
}
