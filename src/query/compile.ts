import type { Condition, ListQuery, ResourceSchema } from './ast.js';
import { compileCondition, operandOf, operandValue } from './condition.js';
import type { SqlDialect } from './dialect/dialect.js';
import { allOf, anyOf, join, raw, sql, type SqlFragment } from './sql.js';

export type { SqlFragment } from './sql.js';

/** The two statements a list query needs: the page of rows and the count of every match. */
export interface CompiledList {
  /** The page of rows, or no rows for `count_only`. Column names are the API field names. */
  select: SqlFragment;
  /** One row with `total_count`: every match, regardless of the page. */
  count: SqlFragment;
}

/**
 * Compiles a validated list query over `source` (a table name or a parenthesised subquery with
 * an alias, whose columns are the schema's columns) into parameterised SQL. Every user value is a
 * bound parameter; keys reach the SQL text only through the schema's allow-list.
 *
 * The select returns every column of the source, or only the fields named by `only` (or the
 * schema's `minimalFields` for `minimal`), ordered by the sort keys then the schema's tiebreak.
 */
export function compileList(
  schema: ResourceSchema,
  source: SqlFragment,
  query: ListQuery,
  dialect: SqlDialect,
): CompiledList {
  const where = compileWhere(schema, query, dialect);
  const from = sql`FROM ${source} WHERE ${where}`;
  const count = sql`SELECT count(*) AS total_count ${from}`;

  const columns = selectedColumns(schema, query);
  let select = sql`SELECT ${raw(columns)} ${from} ORDER BY ${compileOrder(schema, query, dialect)}`;
  if (query.countOnly) select = sql`${select} LIMIT 0`;
  else if (query.page.limit > 0) {
    // SpaceONE's page.start is the 1-based index of the first row (rows start..start+limit-1),
    // not a page number: its clients send start = (page - 1) * limit + 1.
    const offset = query.page.start - 1;
    select = sql`${select} ${dialect.limitOffset(query.page.limit, offset)}`;
  }
  return { select: finish(select, dialect), count: finish(count, dialect) };
}

/**
 * The WHERE condition of `filter`, `filter_or` and `keyword`: filters AND-ed, the `filter_or`
 * group OR-ed and AND-ed with them, keyword words OR-ed over the schema's keyword fields.
 */
export function compileWhere(
  schema: ResourceSchema,
  query: Pick<ListQuery, 'filter' | 'filterOr' | 'keyword'>,
  dialect: SqlDialect,
): SqlFragment {
  const parts = query.filter.map((c) => conditionSql(c, dialect));
  if (query.filterOr.length > 0)
    parts.push(anyOf(query.filterOr.map((c) => conditionSql(c, dialect))));
  if (query.keyword.length > 0) parts.push(compileKeyword(schema, query.keyword, dialect));
  return allOf(parts);
}

/** Applies the dialect's placeholder rewrite to a finished statement. */
export function finish(fragment: SqlFragment, dialect: SqlDialect): SqlFragment {
  return { sql: dialect.finish(fragment.sql), params: fragment.params };
}

function conditionSql(c: Condition, dialect: SqlDialect): SqlFragment {
  return compileCondition(operandOf(c.key), c.operator, c.value, dialect);
}

function compileKeyword(schema: ResourceSchema, words: string[], dialect: SqlDialect): SqlFragment {
  const columns = schema.keywordFields.flatMap((key) => {
    const field = schema.fields[key];
    return field === undefined ? [] : [raw(field.column)];
  });
  return dialect.containsAnyIgnoreCase(columns, words);
}

function selectedColumns(schema: ResourceSchema, query: ListQuery): string {
  const names = query.minimal && query.only === undefined ? schema.minimalFields : query.only;
  if (names === undefined) return '*';
  return names
    .map((name) => {
      const column = schema.fields[name]?.column ?? schema.jsonFields[name] ?? name;
      return column === name ? column : `${column} AS ${name}`;
    })
    .join(', ');
}

function compileOrder(schema: ResourceSchema, query: ListQuery, dialect: SqlDialect): SqlFragment {
  const parts = query.sort.map((s) =>
    dialect.orderTerm(operandValue(operandOf(s.key), dialect), s.desc),
  );
  for (const key of schema.tiebreak) {
    const field = schema.fields[key];
    if (field !== undefined) parts.push(dialect.orderTerm(raw(field.column), false));
  }
  return join(parts, ', ');
}
