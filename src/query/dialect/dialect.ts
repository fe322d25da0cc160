import type { SqlFragment } from '../sql.js';

/** The JSON value kinds a filter distinguishes (MongoDB-like type brackets). */
export type JsonKind = 'string' | 'number' | 'true' | 'false' | 'null' | 'array' | 'object';

/**
 * What differs between SQL dialects for the query compiler. The compiler writes `?` for every
 * parameter; a dialect that numbers its placeholders rewrites them in `finish`. Every method
 * returns a fragment whose parameters are in text order.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** The scalar at `path` inside the JSON document `doc`, as text or number; NULL when absent. */
  jsonValue(doc: SqlFragment, path: readonly string[]): SqlFragment;
  /** The number at `path` inside `doc` (only meaningful where its JSON type is number). */
  jsonNumber(doc: SqlFragment, path: readonly string[]): SqlFragment;
  /** True when the value at `path` inside `doc` exists and has one of `kinds`. */
  jsonTypeIn(doc: SqlFragment, path: readonly string[], kinds: readonly JsonKind[]): SqlFragment;
  /** True when anything (even JSON null) is at `path` inside `doc`. */
  jsonExists(doc: SqlFragment, path: readonly string[]): SqlFragment;
  /** True when some element of the JSON array of strings `list` satisfies `test(element)`. */
  anyListElement(list: SqlFragment, test: (element: SqlFragment) => SqlFragment): SqlFragment;
  /**
   * True when the value at `path` inside `doc` is an array with an object element satisfying
   * `test(element)`, where `element` is that object as a JSON document.
   */
  anyObjectElement(
    doc: SqlFragment,
    path: readonly string[],
    test: (element: SqlFragment) => SqlFragment,
  ): SqlFragment;
  /** Case-insensitive, Unicode-aware "haystack contains needle". */
  containsIgnoreCase(haystack: SqlFragment, needle: string): SqlFragment;
  /** True when any haystack contains any needle (case-insensitive, Unicode-aware). */
  containsAnyIgnoreCase(haystacks: readonly SqlFragment[], needles: readonly string[]): SqlFragment;
  /** Case-insensitive, Unicode-aware regular-expression test. */
  regexIgnoreCase(haystack: SqlFragment, pattern: string): SqlFragment;
  /** An ISO time text formatted with a strftime-style format (`%Y-%m-%d`). */
  formatTime(time: SqlFragment, format: string): SqlFragment;
  /**
   * Aggregate: JSON array of `value` (in `order`; or distinct values in no promised order),
   * over the rows that pass `filter` when given.
   */
  jsonArrayAgg(
    value: SqlFragment,
    order: SqlFragment | undefined,
    distinct: boolean,
    filter: SqlFragment | undefined,
  ): SqlFragment;
  /** Aggregate: the first (or last) `value` in `order`, as JSON text when `json`. */
  firstValueAgg(
    value: SqlFragment,
    order: SqlFragment,
    last: boolean,
    json: boolean,
    filter: SqlFragment | undefined,
  ): SqlFragment;
  /** JSON text at `path` inside `doc` (objects and arrays whole); NULL when absent or null. */
  jsonText(doc: SqlFragment, path: readonly string[]): SqlFragment;
  /** Marks JSON text as JSON, so that aggregates and builders embed it rather than quote it. */
  asJson(text: SqlFragment): SqlFragment;
  /** One ORDER BY term; NULL sorts first ascending and last descending (as in MongoDB). */
  orderTerm(expr: SqlFragment, desc: boolean): SqlFragment;
  /** `LIMIT … OFFSET …`; `limit` undefined means no limit. */
  limitOffset(limit: number | undefined, offset: number): SqlFragment;
  /** A JSON object built from name/value pairs (names are bound parameters). */
  jsonObject(pairs: readonly [string, SqlFragment][]): SqlFragment;
  /** Number of elements of a JSON array; sum of its numeric elements. */
  jsonArrayLength(list: SqlFragment): SqlFragment;
  jsonArraySum(list: SqlFragment): SqlFragment;
  /** Merges a JSON array of objects left to right (later keys win) into one object. */
  mergeObjects(arrayOfObjects: SqlFragment): SqlFragment;
  /**
   * Expands each row into one row per element of the JSON array `list`: a FROM item, the
   * element as JSON text, and its position.
   */
  unwind(list: SqlFragment, alias: string): { from: SqlFragment; value: string; index: string };
  /** Rewrites the finished SQL text (placeholders) for the driver. */
  finish(sql: string): string;
}
