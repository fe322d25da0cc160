import { join, param, raw, sql, type SqlFragment } from '../sql.js';
import type { JsonKind, SqlDialect } from './dialect.js';

const SQLITE_TYPES: Record<JsonKind, string[]> = {
  string: ['text'],
  number: ['integer', 'real'],
  true: ['true'],
  false: ['false'],
  null: ['null'],
  array: ['array'],
  object: ['object'],
};

/**
 * SQLite (3.44+): `?` placeholders and JSON1. `pv_lower` and `pv_regexp` are registered by the
 * store (Unicode-aware lower-casing, and JS RegExp with the `iu` flags).
 */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  jsonValue: (doc, path) => sql`json_extract(${doc}, ${param(sqlitePath(path))})`,
  jsonNumber: (doc, path) => sql`json_extract(${doc}, ${param(sqlitePath(path))})`,
  jsonTypeIn: (doc, path, kinds) => {
    const names = kinds.flatMap((k) => SQLITE_TYPES[k]).map((t) => `'${t}'`);
    return sql`json_type(${doc}, ${param(sqlitePath(path))}) IN (${raw(names.join(', '))})`;
  },
  jsonExists: (doc, path) => sql`json_type(${doc}, ${param(sqlitePath(path))}) IS NOT NULL`,
  anyListElement: (list, test) =>
    sql`EXISTS (SELECT 1 FROM json_each(${list}) AS le WHERE ${test(raw('le.value'))})`,
  anyObjectElement: (doc, path, test) => {
    const p = param(sqlitePath(path));
    const array = sql`CASE WHEN json_type(${doc}, ${p}) = 'array' THEN json_extract(${doc}, ${p}) END`;
    return sql`EXISTS (SELECT 1 FROM json_each(${array}) AS oe WHERE CASE WHEN oe.type = 'object' THEN (${test(raw('oe.value'))}) ELSE 0 END)`;
  },
  containsIgnoreCase: (haystack, needle) => containsAny([haystack], [needle]),
  containsAnyIgnoreCase: (haystacks, needles) => containsAny(haystacks, needles),
  regexIgnoreCase: (haystack, pattern) => sql`pv_regexp(${param(pattern)}, ${haystack}, 'iu')`,
  formatTime: (time, format) => sql`strftime(${param(format)}, ${time})`,
  jsonArrayAgg: (value, order, distinct, filter) => {
    const f = filterClause(filter);
    if (distinct) return sql`json_group_array(DISTINCT ${value})${f}`;
    return order === undefined
      ? sql`json_group_array(${value})${f}`
      : sql`json_group_array(${value} ORDER BY ${order})${f}`;
  },
  firstValueAgg: (value, order, last, json, filter) =>
    sql`(json_group_array(${json ? sql`json(${value})` : value} ORDER BY ${order})${filterClause(filter)} ${raw(json ? '->' : '->>')} ${raw(last ? "'$[#-1]'" : "'$[0]'")})`,
  jsonText: (doc, path) => sql`NULLIF(${doc} -> ${param(sqlitePath(path))}, 'null')`,
  asJson: (text) => sql`json(${text})`,
  orderTerm: (expr, desc) => sql`${expr} ${raw(desc ? 'DESC' : 'ASC')}`,
  limitOffset: (limit, offset) => sql`LIMIT ${param(limit ?? -1)} OFFSET ${param(offset)}`,
  jsonObject: (pairs) =>
    sql`json_object(${join(
      pairs.map(([name, value]) => sql`${param(name)}, ${value}`),
      ', ',
    )})`,
  jsonArrayLength: (list) => sql`json_array_length(${list})`,
  jsonArraySum: (list) =>
    sql`(SELECT COALESCE(sum(ae.value), 0) FROM json_each(${list}) AS ae WHERE ae.type IN ('integer', 'real'))`,
  mergeObjects: (arrayOfObjects) =>
    sql`(SELECT json_group_object(m.key, CASE m.type WHEN 'object' THEN json(m.value) WHEN 'array' THEN json(m.value) WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') ELSE m.value END)
      FROM (SELECT e2.key, e2.type, e2.value, row_number() OVER (PARTITION BY e2.key ORDER BY e1.key DESC) AS r
        FROM json_each(${arrayOfObjects}) AS e1, json_each(CASE WHEN e1.type = 'object' THEN e1.value ELSE '{}' END) AS e2) AS m
      WHERE m.r = 1)`,
  unwind: (list, alias) => ({
    from: sql`json_each(CASE WHEN json_type(${list}) = 'array' THEN ${list} END) AS ${raw(alias)}`,
    value: `CASE ${alias}.type WHEN 'object' THEN ${alias}.value WHEN 'array' THEN ${alias}.value WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' ELSE json_quote(${alias}.value) END`,
    index: `${alias}.key`,
  }),
  finish: (text) => text,
};

/**
 * Case-insensitive containment equal to JS `haystack.toLowerCase().includes(needle.toLowerCase())`
 * but mostly without calling JS. An ASCII needle is found by LIKE (ASCII case folding). The only
 * non-ASCII characters whose lower case contains ASCII are U+0130 (İ → i̇) and U+212A (K → k), so
 * an ASCII needle with an `i` or `k` also gets the JS test on text holding one of those two; a
 * non-ASCII needle gets the JS test on text with non-ASCII characters (octet length above
 * character length), as ASCII text can never contain it.
 */
function containsAny(haystacks: readonly SqlFragment[], needles: readonly string[]): SqlFragment {
  if (haystacks.length === 0 || needles.length === 0) return raw('(1 = 0)');
  const tests: SqlFragment[] = [];
  for (const n of needles.map((x) => x.toLowerCase())) {
    const ascii = /^[\x00-\x7f]*$/.test(n);
    if (ascii) {
      const pattern = `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      tests.push(...haystacks.map((h) => sql`${h} LIKE ${param(pattern)} ESCAPE '\\'`));
      if (!/[ik]/.test(n)) continue;
    }
    for (const h of haystacks) {
      const guard = ascii
        ? sql`(instr(${h}, char(304)) > 0 OR instr(${h}, char(8490)) > 0)`
        : sql`octet_length(${h}) <> length(${h})`;
      tests.push(sql`(${guard} AND instr(pv_lower(${h}), ${param(n)}) > 0)`);
    }
  }
  return sql`(${join(tests, ' OR ')})`;
}

function filterClause(filter: SqlFragment | undefined): SqlFragment {
  return filter === undefined ? raw('') : sql` FILTER (WHERE ${filter})`;
}

/** A SQLite JSON path for already-validated segments (no quotes or backslashes in them). */
function sqlitePath(path: readonly string[]): string {
  return '$' + path.map((p) => `."${p}"`).join('');
}

export type { SqlFragment };
