export type * from './ast.js';
export { OPERATORS } from './ast.js';
export type * from './stat-ast.js';
export {
  parseListQuery,
  resolveKey,
  parseConditions,
  MAX_PAGE_LIMIT,
  type ParseOptions,
} from './parse.js';
export { parseStatQuery, MAX_STAGES } from './stat-parse.js';
export { compileList, compileWhere, type CompiledList } from './compile.js';
export { compileStat, type CompiledStat } from './stat-compile.js';
export type { SqlFragment } from './sql.js';
export { evaluateTimediff } from './timediff.js';
export type { SqlDialect, JsonKind } from './dialect/dialect.js';
export { sqliteDialect } from './dialect/sqlite.js';
export { postgresDialect } from './dialect/postgres.js';
