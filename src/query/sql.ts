/** SQL text with its bound parameters, in placeholder order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** A bound parameter: becomes one `?` in the text. */
export function param(value: unknown): SqlFragment {
  return { sql: '?', params: [value] };
}

/** Trusted SQL text written by the compiler itself (never user input). */
export function raw(text: string): SqlFragment {
  return { sql: text, params: [] };
}

/**
 * Composes fragments in text order, so placeholders and parameters can never drift apart:
 * `sql\`${a} = ${param(v)}\``. Only fragments may be interpolated.
 */
export function sql(strings: TemplateStringsArray, ...parts: SqlFragment[]): SqlFragment {
  let text = strings[0] ?? '';
  const params: unknown[] = [];
  parts.forEach((part, i) => {
    text += part.sql + (strings[i + 1] ?? '');
    params.push(...part.params);
  });
  return { sql: text, params };
}

/** Joins fragments with a separator. */
export function join(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return {
    sql: parts.map((p) => p.sql).join(separator),
    params: parts.flatMap((p) => p.params),
  };
}

/** `(a) OR (b) …`, or FALSE for no parts. */
export function anyOf(parts: readonly SqlFragment[]): SqlFragment {
  if (parts.length === 0) return raw('(1 = 0)');
  if (parts.length === 1) return parts[0] as SqlFragment;
  return sql`(${join(
    parts.map((p) => sql`(${p})`),
    ' OR ',
  )})`;
}

/** `(a) AND (b) …`, or TRUE for no parts. */
export function allOf(parts: readonly SqlFragment[]): SqlFragment {
  if (parts.length === 0) return raw('(1 = 1)');
  if (parts.length === 1) return parts[0] as SqlFragment;
  return sql`(${join(
    parts.map((p) => sql`(${p})`),
    ' AND ',
  )})`;
}

/** Negation in which an unknown (NULL, e.g. a missing key) counts as "does not match". */
export function negate(positive: SqlFragment): SqlFragment {
  return sql`(NOT COALESCE((${positive}), 1 = 0))`;
}
