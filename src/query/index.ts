export type * from './ast.js';
export { parseListQuery, resolveKey, parseConditions, MAX_PAGE_LIMIT } from './parse.js';
export { compileList, type SqlFragment, type CompiledList } from './compile.js';
export type { SqlDialect } from './dialect/dialect.js';
export { sqliteDialect } from './dialect/sqlite.js';
