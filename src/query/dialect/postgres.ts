import { join, param, raw, sql, type SqlFragment } from '../sql.js';
import type { JsonKind, SqlDialect } from './dialect.js';

const PG_TYPES: Record<JsonKind, string> = {
  string: `= 'string'`,
  number: `= 'number'`,
  true: `= 'boolean'`,
  false: `= 'boolean'`,
  null: `= 'null'`,
  array: `= 'array'`,
  object: `= 'object'`,
};

/**
 * PostgreSQL: `$n` placeholders; JSON columns are `jsonb`; `lower()` and `~*` are Unicode-aware
 * under a UTF-8 database. Not wired to a store yet (a later issue); its SQL text is tested.
 */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  jsonValue: (doc, path) => sql`(${doc} #>> ${param([...path])}::text[])`,
  jsonNumber: (doc, path) => sql`(${doc} #>> ${param([...path])}::text[])::numeric`,
  jsonTypeIn: (doc, path, kinds) => {
    const at = sql`(${doc} #> ${param([...path])}::text[])`;
    const tests = kinds.map((k) => {
      const typeTest = sql`jsonb_typeof(${at}) ${raw(PG_TYPES[k])}`;
      if (k === 'true' || k === 'false') return sql`(${typeTest} AND ${at} = '${raw(k)}'::jsonb)`;
      return typeTest;
    });
    return sql`(${join(tests, ' OR ')})`;
  },
  jsonExists: (doc, path) => sql`(${doc} #> ${param([...path])}::text[]) IS NOT NULL`,
  anyListElement: (list, test) =>
    sql`EXISTS (SELECT 1 FROM jsonb_array_elements_text(${list}) AS le(value) WHERE ${test(raw('le.value'))})`,
  anyObjectElement: (doc, path, test) => {
    const at = sql`(${doc} #> ${param([...path])}::text[])`;
    return sql`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${at}) = 'array' THEN ${at} END) AS oe(value) WHERE jsonb_typeof(oe.value) = 'object' AND (${test(raw('oe.value'))}))`;
  },
  containsIgnoreCase: (haystack, needle) =>
    sql`strpos(lower(${haystack}::text), ${param(needle.toLowerCase())}) > 0`,
  containsAnyIgnoreCase: (haystacks, needles) => {
    const tests = needles.flatMap((n) =>
      haystacks.map((h) => sql`strpos(lower(${h}::text), ${param(n.toLowerCase())}) > 0`),
    );
    return tests.length === 0 ? raw('(1 = 0)') : sql`(${join(tests, ' OR ')})`;
  },
  regexIgnoreCase: (haystack, pattern) => sql`(${haystack}::text ~* ${param(pattern)})`,
  formatTime: (time, format) =>
    sql`to_char(${time}::timestamptz AT TIME ZONE 'UTC', ${param(toPgFormat(format))})`,
  jsonArrayAgg: (value, order, distinct, filter) => {
    const f = filterClause(filter);
    if (distinct) return sql`jsonb_agg(DISTINCT ${value})${f}`;
    return order === undefined
      ? sql`jsonb_agg(${value})${f}`
      : sql`jsonb_agg(${value} ORDER BY ${order})${f}`;
  },
  firstValueAgg: (value, order, last, json, filter) =>
    sql`(jsonb_agg(${value} ORDER BY ${order})${filterClause(filter)} ${raw(json ? '->' : '->>')} ${raw(last ? '-1' : '0')})`,
  jsonText: (doc, path) => sql`NULLIF(${doc} #> ${param([...path])}::text[], 'null'::jsonb)`,
  asJson: (text) => sql`(${text})::jsonb`,
  orderTerm: (expr, desc) => sql`${expr} ${raw(desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST')}`,
  limitOffset: (limit, offset) =>
    limit === undefined
      ? sql`OFFSET ${param(offset)}`
      : sql`LIMIT ${param(limit)} OFFSET ${param(offset)}`,
  jsonObject: (pairs) =>
    sql`jsonb_build_object(${join(
      pairs.map(([name, value]) => sql`${param(name)}::text, ${value}`),
      ', ',
    )})`,
  jsonArrayLength: (list) => sql`jsonb_array_length(${list})`,
  jsonArraySum: (list) =>
    sql`(SELECT COALESCE(sum(ae.value::numeric), 0) FROM jsonb_array_elements(${list}) AS ae(value) WHERE jsonb_typeof(ae.value) = 'number')`,
  mergeObjects: (arrayOfObjects) =>
    sql`(SELECT COALESCE(jsonb_object_agg(m.key, m.value), '{}'::jsonb) FROM (SELECT DISTINCT ON (e2.key) e2.key, e2.value
      FROM jsonb_array_elements(${arrayOfObjects}) WITH ORDINALITY AS e1(value, n), jsonb_each(CASE WHEN jsonb_typeof(e1.value) = 'object' THEN e1.value ELSE '{}'::jsonb END) AS e2
      ORDER BY e2.key, e1.n DESC) AS m)`,
  unwind: (list, alias) => ({
    from: sql`jsonb_array_elements(CASE WHEN jsonb_typeof(${list}) = 'array' THEN ${list} END) WITH ORDINALITY AS ${raw(alias)}(value, n)`,
    value: `${alias}.value`,
    index: `${alias}.n`,
  }),
  finish: (text) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  },
};

function filterClause(filter: SqlFragment | undefined): SqlFragment {
  return filter === undefined ? raw('') : sql` FILTER (WHERE ${filter})`;
}

/** strftime-style tokens to PostgreSQL `to_char` patterns (the tokens the parser admits). */
function toPgFormat(format: string): string {
  const tokens: Record<string, string> = {
    '%Y': 'YYYY',
    '%m': 'MM',
    '%d': 'DD',
    '%H': 'HH24',
    '%M': 'MI',
    '%S': 'SS',
    '%j': 'DDD',
    '%%': '%',
  };
  return format.replace(/%[YmdHMSj%]/g, (t) => tokens[t] ?? t);
}
