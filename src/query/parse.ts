import { InvalidQueryError } from '../domain/errors.js';
import type { Condition, KeyRef, ListQuery, Operator, ResourceSchema, SortKey } from './ast.js';

const OPERATORS: ReadonlySet<string> = new Set<Operator>([
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
]);

const LIST_OPERATORS: ReadonlySet<string> = new Set([
  'in',
  'not_in',
  'contain_in',
  'not_contain_in',
  'regex_in',
]);

/** Largest page size a caller may ask for; larger limits are refused rather than truncated. */
export const MAX_PAGE_LIMIT = 10_000;

/**
 * Parses a core Query (plain JSON, `k/v/o` or `key/value/operator` spelling) against a resource's
 * allow-list.
 *
 * @throws InvalidQueryError naming the key or operator at fault.
 */
export function parseListQuery(schema: ResourceSchema, input: unknown): ListQuery {
  const q = asObject(input ?? {}, 'query');
  return {
    filter: parseConditions(schema, q['filter'], 'query.filter'),
    filterOr: parseConditions(schema, q['filter_or'], 'query.filter_or'),
    keyword: parseKeyword(q['keyword']),
    sort: parseSort(schema, q['sort']),
    page: parsePage(q['page']),
    countOnly: parseBool(q['count_only'], 'query.count_only'),
    only: parseOnly(schema, q['only']),
    minimal: parseBool(q['minimal'], 'query.minimal'),
  };
}

/**
 * Resolves a key against the allow-list.
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
  if (column !== undefined && path.length > 0 && path.every((p) => p !== '')) {
    return { kind: 'json', key, column, path };
  }
  throw new InvalidQueryError(key, `not a queryable key of ${schema.name}`);
}

/** Parses one filter list (`filter` or `filter_or`). */
export function parseConditions(
  schema: ResourceSchema,
  input: unknown,
  where: string,
): Condition[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new InvalidQueryError(where, 'must be a list of conditions');
  return input.map((raw, i) => parseCondition(schema, raw, `${where}[${i}]`));
}

function parseCondition(schema: ResourceSchema, raw: unknown, where: string): Condition {
  const c = asObject(raw, where);
  const key = resolveKey(schema, c['key'] ?? c['k'], `${where}.key`);
  const operator = c['operator'] ?? c['o'] ?? 'eq';
  const value = 'value' in c ? c['value'] : c['v'];
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    throw new InvalidQueryError(key.key, `unknown operator ${JSON.stringify(operator)}`);
  }
  checkArity(key.key, operator, value);
  return { key, operator: operator as Operator, value };
}

function checkArity(key: string, operator: string, value: unknown): void {
  if (LIST_OPERATORS.has(operator)) {
    if (!Array.isArray(value))
      throw new InvalidQueryError(key, `operator ${operator} needs a list`);
    return;
  }
  if (Array.isArray(value)) {
    throw new InvalidQueryError(key, `operator ${operator} needs a single value, not a list`);
  }
  if (operator === 'exists' && typeof value !== 'boolean') {
    throw new InvalidQueryError(key, 'operator exists needs true or false');
  }
  if (operator === 'match' && (typeof value !== 'object' || value === null)) {
    throw new InvalidQueryError(key, 'operator match needs an object');
  }
}

function parseKeyword(input: unknown): string[] {
  if (input === undefined || input === null || input === '') return [];
  if (typeof input !== 'string') throw new InvalidQueryError('query.keyword', 'must be a string');
  return input.split(/\s+/).filter((w) => w !== '');
}

function parseSort(schema: ResourceSchema, input: unknown): SortKey[] {
  if (input === undefined || input === null) return [];
  const s = asObject(input, 'query.sort');
  const keys: SortKey[] = [];
  if (s['key'] !== undefined && s['key'] !== '') {
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

function parsePage(input: unknown): { start: number; limit: number } {
  if (input === undefined || input === null) return { start: 1, limit: 0 };
  const p = asObject(input, 'query.page');
  const start = parseCount(p['start'], 'query.page.start', 1);
  const limit = parseCount(p['limit'], 'query.page.limit', 0);
  if (limit > MAX_PAGE_LIMIT) {
    throw new InvalidQueryError('query.page.limit', `must be at most ${MAX_PAGE_LIMIT}`);
  }
  return { start: Math.max(start, 1), limit };
}

function parseOnly(schema: ResourceSchema, input: unknown): string[] | undefined {
  if (input === undefined || input === null) return undefined;
  if (!Array.isArray(input)) throw new InvalidQueryError('query.only', 'must be a list of keys');
  if (input.length === 0) return undefined;
  return input.map((k, i) => resolveKey(schema, k, `query.only[${i}]`).key);
}

function parseCount(input: unknown, where: string, fallback: number): number {
  if (input === undefined || input === null) return fallback;
  const n = typeof input === 'string' && /^\d+$/.test(input) ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidQueryError(where, 'must be a non-negative integer');
  }
  return n;
}

function parseBool(input: unknown, where: string): boolean {
  if (input === undefined || input === null) return false;
  if (typeof input !== 'boolean') throw new InvalidQueryError(where, 'must be true or false');
  return input;
}

function asObject(input: unknown, where: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidQueryError(where, 'must be an object');
  }
  return input as Record<string, unknown>;
}
