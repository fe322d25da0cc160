import { InvalidQueryError } from '../domain/errors.js';
import { systemClock, type Clock } from '../domain/time.js';
import { OPERATORS } from './ast.js';
import type { Condition, KeyRef, ListQuery, Operator, ResourceSchema, SortKey } from './ast.js';
import { checkConditionValue } from './value-check.js';

const OPERATOR_NAMES: ReadonlySet<string> = new Set<string>(OPERATORS);

/** Largest page size a caller may ask for; larger limits are refused rather than truncated. */
export const MAX_PAGE_LIMIT = 10_000;

/**
 * Most conditions in one `filter` or `filter_or` list, and most `keyword` words. Each becomes
 * nested SQL, and SQLite refuses expression trees deeper than 1000.
 */
export const MAX_CONDITIONS = 100;
export const MAX_KEYWORDS = 32;

/** Characters refused in a dotted key's path segments: JSON-path syntax and quoting. */
const PATH_METACHARACTERS = /["'\\$[\]*`\u0000-\u001f]/;

/** Options shared by the query parsers. */
export interface ParseOptions {
  /** The clock `timediff_*` expressions are evaluated against (default: the system clock). */
  clock?: Clock;
}

/**
 * Parses a core Query (plain JSON, `k/v/o` or `key/value/operator` spelling) against a resource's
 * allow-list, checking every value against its key's type and operator.
 *
 * @throws InvalidQueryError naming the key, operator or field at fault.
 */
export function parseListQuery(
  schema: ResourceSchema,
  input: unknown,
  options: ParseOptions = {},
): ListQuery {
  const q = asObject(input ?? {}, 'query');
  return {
    filter: parseConditions(schema, q['filter'], 'query.filter', options),
    filterOr: parseConditions(schema, q['filter_or'], 'query.filter_or', options),
    keyword: parseKeyword(q['keyword'], 'query.keyword'),
    sort: parseSort(schema, q['sort']),
    page: parsePage(q['page'], 'query.page'),
    countOnly: parseBool(q['count_only'], 'query.count_only'),
    only: parseOnly(schema, q['only']),
    minimal: parseBool(q['minimal'], 'query.minimal'),
  };
}

/**
 * Resolves a key against the allow-list. A dotted key under a JSON prefix (`tags.env`) becomes a
 * path; path segments may not contain quotes, backslashes, `$`, `[`, `]`, `*` or control
 * characters, so a path can always be bound as a parameter without any escaping.
 *
 * @throws InvalidQueryError when the key is not queryable on this resource.
 */
export function resolveKey(schema: ResourceSchema, key: unknown, where: string): KeyRef {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidQueryError(where, 'key must be a non-empty string');
  }
  const field = schema.fields[key];
  if (field !== undefined) return { kind: 'column', key, column: field.column, type: field.type };

  const [prefix, ...path] = key.split('.');
  const column = prefix === undefined ? undefined : schema.jsonFields[prefix];
  if (column !== undefined && path.length > 0) {
    if (path.some((p) => p === '' || PATH_METACHARACTERS.test(p))) {
      throw new InvalidQueryError(
        key,
        'key path segments may not be empty or contain quotes, $, [, ], * or backslashes',
      );
    }
    return { kind: 'json', key, column, path };
  }
  throw new InvalidQueryError(key, `not a queryable key of ${schema.name}`);
}

/** Parses one filter list (`filter` or `filter_or`). */
export function parseConditions(
  schema: ResourceSchema,
  input: unknown,
  where: string,
  options: ParseOptions = {},
): Condition[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new InvalidQueryError(where, 'must be a list of conditions');
  if (input.length > MAX_CONDITIONS) {
    throw new InvalidQueryError(where, `has ${input.length} conditions; at most ${MAX_CONDITIONS}`);
  }
  const clock = options.clock ?? systemClock;
  return input.map((raw, i) => parseCondition(schema, raw, `${where}[${i}]`, clock));
}

/** Parses the `keyword` text into words (split on white space). */
export function parseKeyword(input: unknown, where: string): string[] {
  if (input === undefined || input === null || input === '') return [];
  if (typeof input !== 'string') throw new InvalidQueryError(where, 'must be a string');
  const words = input.split(/\s+/).filter((w) => w !== '');
  if (words.length > MAX_KEYWORDS) {
    throw new InvalidQueryError(where, `has ${words.length} words; at most ${MAX_KEYWORDS}`);
  }
  return words;
}

/** Parses a `page` object: 1-based `start`, `limit` 0 for no limit, at most MAX_PAGE_LIMIT. */
export function parsePage(input: unknown, where: string): { start: number; limit: number } {
  if (input === undefined || input === null) return { start: 1, limit: 0 };
  const p = asObject(input, where);
  const start = parseCount(p['start'], `${where}.start`, 1);
  const limit = parseCount(p['limit'], `${where}.limit`, 0);
  if (limit > MAX_PAGE_LIMIT) {
    throw new InvalidQueryError(`${where}.limit`, `must be at most ${MAX_PAGE_LIMIT}`);
  }
  return { start: Math.max(start, 1), limit };
}

/** Checks that `input` is a JSON object (not null, not a list). */
export function asObject(input: unknown, where: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidQueryError(where, 'must be an object');
  }
  return input as Record<string, unknown>;
}

/** Reads a field given in either spelling (`key` or `k`); the long one wins when both are set. */
export function either(o: Record<string, unknown>, long: string, short: string): unknown {
  return o[long] !== undefined && o[long] !== null ? o[long] : o[short];
}

/** Parses an optional boolean flag (absent means false). */
export function parseBool(input: unknown, where: string): boolean {
  if (input === undefined || input === null) return false;
  if (typeof input !== 'boolean') throw new InvalidQueryError(where, 'must be true or false');
  return input;
}

/** Parses an optional non-negative integer (also as decimal text, as protobuf JSON writes it). */
export function parseCount(input: unknown, where: string, fallback: number): number {
  if (input === undefined || input === null) return fallback;
  const n = typeof input === 'string' && /^\d+$/.test(input) ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidQueryError(where, 'must be a non-negative integer');
  }
  return n;
}

function parseCondition(
  schema: ResourceSchema,
  raw: unknown,
  where: string,
  clock: Clock,
): Condition {
  const c = asObject(raw, where);
  const key = resolveKey(schema, either(c, 'key', 'k'), `${where}.key`);
  const operator = either(c, 'operator', 'o') ?? 'eq';
  const value = 'value' in c ? c['value'] : c['v'];
  if (typeof operator !== 'string' || !OPERATOR_NAMES.has(operator)) {
    throw new InvalidQueryError(key.key, `unknown operator ${JSON.stringify(operator)}`);
  }
  const op = operator as Operator;
  return { key, operator: op, value: checkConditionValue(key, op, value, clock) };
}

function parseSort(schema: ResourceSchema, input: unknown): SortKey[] {
  if (input === undefined || input === null) return [];
  const s = asObject(input, 'query.sort');
  const keys: SortKey[] = [];
  if (s['key'] !== undefined && s['key'] !== null && s['key'] !== '') {
    keys.push({
      key: resolveKey(schema, s['key'], 'query.sort.key'),
      desc: parseBool(s['desc'], 'query.sort.desc'),
    });
  }
  if (s['keys'] !== undefined && s['keys'] !== null) {
    if (!Array.isArray(s['keys'])) throw new InvalidQueryError('query.sort.keys', 'must be a list');
    s['keys'].forEach((raw, i) => {
      const k = asObject(raw, `query.sort.keys[${i}]`);
      keys.push({
        key: resolveKey(schema, k['key'], `query.sort.keys[${i}].key`),
        desc: parseBool(k['desc'], `query.sort.keys[${i}].desc`),
      });
    });
  }
  return keys;
}

function parseOnly(schema: ResourceSchema, input: unknown): string[] | undefined {
  if (input === undefined || input === null) return undefined;
  if (!Array.isArray(input)) throw new InvalidQueryError('query.only', 'must be a list of keys');
  if (input.length === 0) return undefined;
  const fields = input.map((k, i) => {
    if (typeof k === 'string' && schema.jsonFields[k] !== undefined) return k;
    const ref = resolveKey(schema, k, `query.only[${i}]`);
    return ref.kind === 'json' ? (ref.key.split('.')[0] as string) : ref.key;
  });
  return [...new Set(fields)];
}
