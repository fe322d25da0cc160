import { InvalidQueryError } from '../domain/errors.js';
import type { Condition, KeyRef, ListQuery, ResourceSchema } from './ast.js';
import type { SqlDialect } from './dialect/dialect.js';

/** SQL text with its bound parameters, in placeholder order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** The two statements a list query needs: the page of rows and the count of every match. */
export interface CompiledList {
  select: SqlFragment;
  count: SqlFragment;
}

/**
 * Compiles a validated list query over `source` (a table name or a parenthesised subquery with
 * an alias, whose columns are the schema's columns) into parameterised SQL. Every user value is a
 * bound parameter; keys reach the SQL text only through the schema's allow-list.
 */
export function compileList(
  schema: ResourceSchema,
  source: SqlFragment,
  query: ListQuery,
  dialect: SqlDialect,
): CompiledList {
  const params: unknown[] = [...source.params];
  const where = compileWhere(schema, query, dialect, params);
  const from = `FROM ${source.sql}${where === '' ? '' : ` WHERE ${where}`}`;
  const count = {
    sql: dialect.finish(`SELECT count(*) AS total_count ${from}`),
    params: [...params],
  };

  const order = compileOrder(schema, query, dialect, params);
  let sql = `SELECT * ${from} ORDER BY ${order}`;
  if (query.page.limit > 0) {
    sql += ' LIMIT ? OFFSET ?';
    params.push(query.page.limit, (query.page.start - 1) * query.page.limit);
  }
  return { select: { sql: dialect.finish(sql), params }, count };
}

function compileWhere(
  schema: ResourceSchema,
  query: ListQuery,
  dialect: SqlDialect,
  params: unknown[],
): string {
  const parts = query.filter.map((c) => compileCondition(c, dialect, params));
  if (query.filterOr.length > 0) {
    parts.push(`(${query.filterOr.map((c) => compileCondition(c, dialect, params)).join(' OR ')})`);
  }
  if (query.keyword.length > 0) parts.push(compileKeyword(schema, query.keyword, dialect, params));
  return parts.map((p) => `(${p})`).join(' AND ');
}

function compileKeyword(
  schema: ResourceSchema,
  words: string[],
  dialect: SqlDialect,
  params: unknown[],
): string {
  const ors: string[] = [];
  for (const word of words) {
    for (const key of schema.keywordFields) {
      const field = schema.fields[key];
      if (field === undefined) continue;
      ors.push(dialect.containsIgnoreCase(field.column));
      params.push(word);
    }
  }
  return ors.join(' OR ');
}

function compileCondition(c: Condition, dialect: SqlDialect, params: unknown[]): string {
  const expr = keyExpr(c.key, dialect, params);
  switch (c.operator) {
    case 'eq':
      if (c.value === null) return `${expr} IS NULL`;
      params.push(toSqlValue(c.key, c.value));
      return `${expr} = ?`;
    case 'not':
      if (c.value === null) return `${expr} IS NOT NULL`;
      params.push(toSqlValue(c.key, c.value));
      return `(${expr} IS NULL OR ${expr} <> ?)`;
    case 'in':
    case 'not_in':
      return compileIn(c, expr, params);
    case 'contain':
      params.push(String(c.value));
      return dialect.containsIgnoreCase(expr);
    default:
      throw new InvalidQueryError(c.key.key, `operator ${c.operator} is not supported`);
  }
}

function compileIn(c: Condition, expr: string, params: unknown[]): string {
  const values = (c.value as unknown[]).map((v) => toSqlValue(c.key, v));
  const negate = c.operator === 'not_in';
  if (values.length === 0) return negate ? '1 = 1' : '1 = 0';
  params.push(...values);
  const list = `${expr} IN (${values.map(() => '?').join(', ')})`;
  return negate ? `(${expr} IS NULL OR NOT ${list})` : list;
}

function keyExpr(key: KeyRef, dialect: SqlDialect, params: unknown[]): string {
  if (key.kind === 'column') return key.column;
  const json = dialect.jsonText(key.column);
  params.push(json.param(key.path));
  return json.sql;
}

function toSqlValue(key: KeyRef, value: unknown): unknown {
  if (key.kind === 'column' && key.type === 'boolean') {
    if (typeof value !== 'boolean') throw new InvalidQueryError(key.key, 'needs true or false');
    return value ? 1 : 0;
  }
  if (typeof value === 'object' && value !== null) {
    throw new InvalidQueryError(key.key, 'needs a scalar value');
  }
  return value;
}

function compileOrder(
  schema: ResourceSchema,
  query: ListQuery,
  dialect: SqlDialect,
  params: unknown[],
): string {
  const parts = query.sort.map(
    (s) => `${keyExpr(s.key, dialect, params)} ${s.desc ? 'DESC' : 'ASC'}`,
  );
  for (const key of schema.tiebreak) {
    const field = schema.fields[key];
    if (field !== undefined) parts.push(`${field.column} ASC`);
  }
  return parts.join(', ');
}
