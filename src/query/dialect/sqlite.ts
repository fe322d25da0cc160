import type { SqlDialect } from './dialect.js';

/** SQLite: `?` placeholders, JSON1 functions; `pv_lower` is registered by the store (Unicode-aware). */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  jsonText: (column) => ({
    sql: `json_extract(${column}, ?)`,
    param: (path) => '$' + path.map((p) => `.${JSON.stringify(p)}`).join(''),
  }),
  containsIgnoreCase: (expr) => `instr(pv_lower(${expr}), pv_lower(?)) > 0`,
  finish: (sql) => sql,
};
