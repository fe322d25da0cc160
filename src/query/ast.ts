/**
 * The typed form of SpaceONE's core Query and StatisticsQuery, after parsing and validation.
 * Transports hand the parsers plain JSON (the REST body, or the gRPC message converted to JSON);
 * everything past the parsers works on these nodes only.
 */

/** Value types a queryable key can have; the compiler chooses SQL per type. */
export type FieldType = 'string' | 'integer' | 'boolean' | 'datetime' | 'string_list';

/** One queryable key of a resource and the column (of the resource's SQL source) behind it. */
export interface FieldSpec {
  column: string;
  type: FieldType;
}

/**
 * What may be queried on one resource: the allow-list of keys. Dotted keys are allowed only under
 * the prefixes in `jsonFields` (for example `tags.env` reads `$.env` of the `tags` column).
 */
export interface ResourceSchema {
  name: string;
  fields: Readonly<Record<string, FieldSpec>>;
  /** Prefix → JSON column, for dotted keys such as `labels.region`. */
  jsonFields: Readonly<Record<string, string>>;
  /** Keys searched by `keyword`. */
  keywordFields: readonly string[];
  /** Keys appended to every ORDER BY so that pages are stable. */
  tiebreak: readonly string[];
  /** Keys returned by `minimal`. */
  minimalFields: readonly string[];
}

/** A key resolved against a schema: a plain column, or a path inside a JSON column. */
export type KeyRef =
  | { kind: 'column'; key: string; column: string; type: FieldType }
  | { kind: 'json'; key: string; column: string; path: string[] };

/** Every filter operator of the query language (SPEC §4). */
export const OPERATORS = [
  'eq',
  'not',
  'lt',
  'lte',
  'gt',
  'gte',
  'exists',
  'contain',
  'not_contain',
  'in',
  'not_in',
  'contain_in',
  'not_contain_in',
  'regex',
  'regex_in',
  'match',
  'datetime_gt',
  'datetime_lt',
  'datetime_gte',
  'datetime_lte',
  'timediff_gt',
  'timediff_lt',
  'timediff_gte',
  'timediff_lte',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** A scalar from a filter value (JSON). */
export type Scalar = string | number | boolean | null;

/**
 * One validated filter condition. `value` is checked and normalised for the key's type: times
 * are ISO 8601 with milliseconds (`timediff_*` already evaluated against the clock), list
 * operators carry arrays, `match` carries an object of scalars, `exists` a boolean.
 */
export interface Condition {
  key: KeyRef;
  operator: Operator;
  value: unknown;
}

export interface SortKey {
  key: KeyRef;
  desc: boolean;
}

/** A validated list query. `page.start` is 1-based; `limit` 0 means no limit. */
export interface ListQuery {
  filter: Condition[];
  filterOr: Condition[];
  keyword: string[];
  sort: SortKey[];
  page: { start: number; limit: number };
  countOnly: boolean;
  /** Field names to return, or undefined for all. */
  only: string[] | undefined;
  minimal: boolean;
}
