import { InvalidQueryError } from '../domain/index.js';
import type { ResourceSchema, SqlDialect, SqlFragment } from '../query/index.js';
import { runFragment, type Store } from '../store/index.js';

/**
 * The statistics half of the query layer (issue #3): `parseStatQuery` validates a core
 * StatisticsQuery against a resource's allow-list and `compileStat` turns it into SQL over a
 * source plus a mapper from result rows to answer rows. The service only runs what it compiles.
 */
export interface StatEngine {
  parseStatQuery(schema: ResourceSchema, json: unknown): unknown;
  compileStat(
    schema: ResourceSchema,
    source: SqlFragment,
    query: never,
    dialect: SqlDialect,
  ): CompiledStat;
}

/**
 * What `compileStat` returns: the rows statement (the value itself is the fragment, as the query
 * layer compiles it), an optional count statement and a row mapper.
 */
export interface CompiledStat extends SqlFragment {
  count?: SqlFragment;
  mapRow?: (row: Record<string, unknown>) => unknown;
}

/** Everything one stat call needs. */
export interface StatRun {
  store: Store;
  schema: ResourceSchema;
  source: SqlFragment;
  dialect: SqlDialect;
  query: unknown;
}

/**
 * Loads the stat engine from `src/query` when that module provides it, so that this service picks
 * it up as soon as issue #3 lands without a change here.
 */
export async function loadStatEngine(): Promise<StatEngine | undefined> {
  const queryModule = (await import('../query/index.js')) as Partial<StatEngine>;
  const { parseStatQuery, compileStat } = queryModule;
  if (typeof parseStatQuery !== 'function' || typeof compileStat !== 'function') return undefined;
  return { parseStatQuery, compileStat };
}

/**
 * Runs a StatisticsQuery: `{ results }`, plus `total_count` when the query is paged.
 *
 * @throws InvalidQueryError when the query is invalid, or when no stat engine is available.
 */
export async function runStat(
  engine: StatEngine | undefined,
  run: StatRun,
): Promise<Record<string, unknown>> {
  if (engine === undefined) {
    // TODO(#3): remove once the statistics compiler of the query layer has landed.
    throw new InvalidQueryError('query.aggregate', 'statistics queries are not available yet');
  }
  const parsed = engine.parseStatQuery(run.schema, run.query);
  const compiled = engine.compileStat(run.schema, run.source, parsed as never, run.dialect);
  const rows = await runFragment<Record<string, unknown>>(run.store.db, compiled);
  const mapRow = compiled.mapRow ?? ((row: Record<string, unknown>) => row);
  const answer: Record<string, unknown> = { results: rows.map(mapRow) };
  if (compiled.count !== undefined) {
    const count = await runFragment<Record<string, unknown>>(run.store.db, compiled.count);
    answer['total_count'] = Number(Object.values(count[0] ?? {})[0] ?? 0);
  }
  return answer;
}
