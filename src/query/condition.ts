import type { KeyRef, Operator, Scalar } from './ast.js';
import type { JsonKind, SqlDialect } from './dialect/dialect.js';
import { allOf, anyOf, join, negate, param, raw, sql, type SqlFragment } from './sql.js';

/**
 * What a condition reads: a scalar SQL expression, a JSON array of strings (every element is
 * tested, as MongoDB does for arrays), or a path inside a JSON document (compared with type
 * brackets: a number matches numbers only, a string strings only).
 */
export type Operand =
  | { kind: 'scalar'; key: string; expr: SqlFragment; boolean: boolean }
  | { kind: 'list'; key: string; expr: SqlFragment }
  | { kind: 'json'; key: string; doc: SqlFragment; path: readonly string[] };

/** The operand for a key resolved against a resource schema (columns of the SQL source). */
export function operandOf(key: KeyRef): Operand {
  if (key.kind === 'json')
    return { kind: 'json', key: key.key, doc: raw(key.column), path: key.path };
  if (key.type === 'string_list') return { kind: 'list', key: key.key, expr: raw(key.column) };
  return { kind: 'scalar', key: key.key, expr: raw(key.column), boolean: key.type === 'boolean' };
}

/** The SQL value of an operand, for ORDER BY, GROUP BY and projections. */
export function operandValue(o: Operand, dialect: SqlDialect): SqlFragment {
  return o.kind === 'json' ? dialect.jsonValue(o.doc, o.path) : o.expr;
}

/**
 * Compiles one validated condition to a boolean SQL expression. Negations (`not`, `not_in`,
 * `not_contain`, `not_contain_in`) are the complement of the positive form, so they also match
 * rows where the key is missing or null.
 */
export function compileCondition(
  o: Operand,
  operator: Operator,
  value: unknown,
  dialect: SqlDialect,
): SqlFragment {
  switch (operator) {
    case 'eq':
      return equals(o, value as Scalar, dialect);
    case 'not':
      return negate(equals(o, value as Scalar, dialect));
    case 'in':
      return isIn(o, value as Scalar[], dialect);
    case 'not_in':
      return negate(isIn(o, value as Scalar[], dialect));
    case 'lt':
    case 'datetime_lt':
    case 'timediff_lt':
      return compare(o, '<', value as string | number, dialect);
    case 'lte':
    case 'datetime_lte':
    case 'timediff_lte':
      return compare(o, '<=', value as string | number, dialect);
    case 'gt':
    case 'datetime_gt':
    case 'timediff_gt':
      return compare(o, '>', value as string | number, dialect);
    case 'gte':
    case 'datetime_gte':
    case 'timediff_gte':
      return compare(o, '>=', value as string | number, dialect);
    case 'exists':
      return value === true ? exists(o, dialect) : sql`NOT (${exists(o, dialect)})`;
    case 'contain':
      return textTest(o, dialect, (e) => dialect.containsIgnoreCase(e, value as string));
    case 'not_contain':
      return negate(textTest(o, dialect, (e) => dialect.containsIgnoreCase(e, value as string)));
    case 'contain_in':
      return containsAny(o, value as string[], dialect);
    case 'not_contain_in':
      return negate(containsAny(o, value as string[], dialect));
    case 'regex':
      return textTest(o, dialect, (e) => dialect.regexIgnoreCase(e, value as string));
    case 'regex_in':
      return anyOf(
        (value as string[]).map((p) => textTest(o, dialect, (e) => dialect.regexIgnoreCase(e, p))),
      );
    case 'match':
      return match(o, value as Record<string, Scalar>, dialect);
  }
}

function equals(o: Operand, v: Scalar, dialect: SqlDialect): SqlFragment {
  if (v === null) return sql`${operandValue(o, dialect)} IS NULL`;
  return typed(o, kindOf(v), dialect, (e) => sql`${e} = ${param(sqlValue(o, v))}`);
}

function isIn(o: Operand, values: Scalar[], dialect: SqlDialect): SqlFragment {
  const present = values.filter((v) => v !== null);
  const parts: SqlFragment[] = [];
  if (values.length > present.length) parts.push(equals(o, null, dialect));
  if (o.kind === 'scalar' && present.length > 0) {
    const list = join(
      present.map((v) => param(sqlValue(o, v))),
      ', ',
    );
    parts.push(sql`${o.expr} IN (${list})`);
  } else {
    parts.push(...present.map((v) => equals(o, v, dialect)));
  }
  return anyOf(parts);
}

function compare(o: Operand, op: string, v: string | number, dialect: SqlDialect): SqlFragment {
  return typed(o, kindOf(v), dialect, (e) => sql`${e} ${raw(op)} ${param(v)}`);
}

function exists(o: Operand, dialect: SqlDialect): SqlFragment {
  if (o.kind === 'json') return dialect.jsonExists(o.doc, o.path);
  return sql`${o.expr} IS NOT NULL`;
}

function containsAny(o: Operand, needles: string[], dialect: SqlDialect): SqlFragment {
  if (needles.length === 0) return raw('(1 = 0)');
  return textTest(o, dialect, (e) => dialect.containsAnyIgnoreCase([e], needles));
}

function textTest(
  o: Operand,
  dialect: SqlDialect,
  test: (e: SqlFragment) => SqlFragment,
): SqlFragment {
  return typed(o, 'string', dialect, test);
}

function match(o: Operand, fields: Record<string, Scalar>, dialect: SqlDialect): SqlFragment {
  if (o.kind !== 'json') return raw('(1 = 0)');
  return dialect.anyObjectElement(o.doc, o.path, (element) =>
    allOf(
      Object.entries(fields).map(([field, v]) =>
        equals({ kind: 'json', key: field, doc: element, path: [field] }, v, dialect),
      ),
    ),
  );
}

/**
 * Applies `test` to the operand's value(s): directly for a scalar, to any element for a list,
 * and for a JSON path only where the value there has the JSON kind `kind`.
 */
function typed(
  o: Operand,
  kind: JsonKind,
  dialect: SqlDialect,
  test: (e: SqlFragment) => SqlFragment,
): SqlFragment {
  if (o.kind === 'scalar') return test(o.expr);
  if (o.kind === 'list') return dialect.anyListElement(o.expr, test);
  const guard = dialect.jsonTypeIn(o.doc, o.path, [kind]);
  if (kind === 'true' || kind === 'false') return guard;
  const value =
    kind === 'number' ? dialect.jsonNumber(o.doc, o.path) : dialect.jsonValue(o.doc, o.path);
  return sql`(${guard} AND ${test(value)})`;
}

function kindOf(v: Exclude<Scalar, null>): JsonKind {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return typeof v === 'number' ? 'number' : 'string';
}

function sqlValue(o: Operand, v: Exclude<Scalar, null>): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
