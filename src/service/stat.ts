import type { Clock } from '../domain/index.js';
import {
  compileStat,
  parseStatQuery,
  type ResourceSchema,
  type SqlDialect,
  type SqlFragment,
} from '../query/index.js';
import { runFragment, type Store } from '../store/index.js';

/** Everything one stat call needs. */
export interface StatRun {
  store: Store;
  schema: ResourceSchema;
  source: SqlFragment;
  dialect: SqlDialect;
  clock: Clock;
  query: unknown;
}

/**
 * Runs a StatisticsQuery through the query layer, in the database: `{ results }`, plus
 * `total_count` when the query is paged.
 *
 * @throws InvalidQueryError (from the parser) naming the key or stage at fault.
 */
export async function runStat(run: StatRun): Promise<Record<string, unknown>> {
  const parsed = parseStatQuery(run.schema, run.query, { clock: run.clock });
  const compiled = compileStat(run.schema, run.source, parsed, run.dialect);
  const rows = await runFragment<Record<string, unknown>>(run.store.db, compiled);
  const answer: Record<string, unknown> = { results: rows.map((row) => compiled.mapRow(row)) };
  if (compiled.count !== undefined) {
    const count = await runFragment<{ total_count: unknown }>(run.store.db, compiled.count);
    answer['total_count'] = Number(count[0]?.total_count ?? 0);
  }
  return answer;
}
