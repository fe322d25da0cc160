import { InvalidQueryError } from '../domain/errors.js';
import type { Clock } from '../domain/time.js';
import type { FieldType, KeyRef, Operator, Scalar } from './ast.js';
import { evaluateTimediff } from './timediff.js';
import { costlyRegexReason } from './regex-guard.js';

/** The type a condition's key has: a schema field type, a JSON path, or a computed column. */
export type OperandType = FieldType | 'json' | 'any';

const LIST_OPERATORS: ReadonlySet<Operator> = new Set<Operator>([
  'in',
  'not_in',
  'contain_in',
  'not_contain_in',
  'regex_in',
]);

const TEXT_OPERATORS: ReadonlySet<Operator> = new Set<Operator>([
  'contain',
  'not_contain',
  'contain_in',
  'not_contain_in',
  'regex',
  'regex_in',
]);

/** The operand type of a resolved key. */
export function operandTypeOf(key: KeyRef): OperandType {
  return key.kind === 'json' ? 'json' : key.type;
}

/**
 * Checks a condition's value against its operator and its key's type, and normalises it: times
 * become ISO 8601 with milliseconds, `timediff_*` expressions are evaluated against `clock`,
 * regular expressions are compiled once to prove they are valid.
 *
 * @throws InvalidQueryError naming the key and what is wrong with the value.
 */
export function checkConditionValue(
  key: KeyRef | { key: string; type: OperandType },
  operator: Operator,
  value: unknown,
  clock: Clock,
): unknown {
  const name = key.key;
  const type = 'kind' in key ? operandTypeOf(key) : key.type;
  checkShape(name, operator, value);
  checkWellFormed(name, value);
  checkOperatorFits(name, type, operator);

  if (operator === 'exists') return value;
  if (operator === 'match') return checkMatch(name, value as Record<string, unknown>);
  if (operator.startsWith('timediff_')) return checkTimediff(name, value, clock);
  if (operator.startsWith('datetime_')) return toIsoTime(name, value);
  if (operator === 'regex' || operator === 'regex_in') return checkRegex(name, value);
  if (TEXT_OPERATORS.has(operator)) return checkAll(value, (v) => checkText(name, operator, v));
  const allowNull =
    operator === 'eq' || operator === 'not' || operator === 'in' || operator === 'not_in';
  return checkAll(value, (v) => checkScalar(name, type, operator, v, allowNull));
}

/** Text that is not well-formed Unicode (a lone surrogate) cannot be stored or compared. */
function checkWellFormed(key: string, value: unknown): void {
  const texts = Array.isArray(value) ? value : [value];
  if (texts.some((t) => typeof t === 'string' && /\p{Surrogate}/u.test(t))) {
    throw new InvalidQueryError(
      key,
      'text values must be well-formed Unicode (no lone surrogates)',
    );
  }
}

function checkShape(key: string, operator: Operator, value: unknown): void {
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

function checkOperatorFits(key: string, type: OperandType, operator: Operator): void {
  const numericOrFlag = type === 'integer' || type === 'boolean';
  if (numericOrFlag && TEXT_OPERATORS.has(operator)) {
    throw new InvalidQueryError(
      key,
      `operator ${operator} needs a text key, and ${key} is ${type}`,
    );
  }
  const timed = operator.startsWith('datetime_') || operator.startsWith('timediff_');
  if (timed && type !== 'datetime' && type !== 'json' && type !== 'any') {
    throw new InvalidQueryError(
      key,
      `operator ${operator} needs a time key, and ${key} is ${type}`,
    );
  }
  if (operator === 'match' && type !== 'json') {
    throw new InvalidQueryError(key, 'operator match needs a key inside tags or labels');
  }
  if (type === 'boolean' && ['lt', 'lte', 'gt', 'gte'].includes(operator)) {
    throw new InvalidQueryError(key, `operator ${operator} does not apply to a boolean key`);
  }
}

function checkAll(value: unknown, check: (v: unknown) => unknown): unknown {
  return Array.isArray(value) ? value.map(check) : check(value);
}

function checkScalar(
  key: string,
  type: OperandType,
  operator: Operator,
  v: unknown,
  allowNull: boolean,
): Scalar {
  if (v === null) {
    if (allowNull) return null;
    throw new InvalidQueryError(key, `operator ${operator} needs a value, not null`);
  }
  switch (type) {
    case 'string':
    case 'string_list':
      if (typeof v !== 'string')
        throw new InvalidQueryError(key, `needs a string, got ${describe(v)}`);
      return v;
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
        throw new InvalidQueryError(key, `needs an integer, got ${describe(v)}`);
      }
      return v;
    case 'boolean':
      if (typeof v !== 'boolean')
        throw new InvalidQueryError(key, `needs true or false, got ${describe(v)}`);
      return v;
    case 'datetime':
      return toIsoTime(key, v);
    default:
      return checkJsonScalar(key, operator, v);
  }
}

function checkJsonScalar(key: string, operator: Operator, v: unknown): Scalar {
  const ordered = ['lt', 'lte', 'gt', 'gte'].includes(operator);
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  if (typeof v === 'boolean' && !ordered) return v;
  throw new InvalidQueryError(key, `operator ${operator} cannot compare with ${describe(v)}`);
}

function checkText(key: string, operator: Operator, v: unknown): string {
  if (typeof v !== 'string') {
    throw new InvalidQueryError(key, `operator ${operator} needs text, got ${describe(v)}`);
  }
  return v;
}

function checkRegex(key: string, value: unknown): unknown {
  return checkAll(value, (v) => {
    const pattern = checkText(key, 'regex', v);
    try {
      new RegExp(pattern, 'iu');
    } catch {
      throw new InvalidQueryError(key, `invalid regular expression ${JSON.stringify(pattern)}`);
    }
    const costly = costlyRegexReason(pattern);
    if (costly !== undefined) {
      throw new InvalidQueryError(
        key,
        `regular expression ${JSON.stringify(pattern)} refused: ${costly}`,
      );
    }
    return pattern;
  });
}

function checkMatch(key: string, value: Record<string, unknown>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [field, v] of Object.entries(value)) {
    if (field === '' || /["'\\$[\]*`.\u0000-\u001f]/.test(field)) {
      throw new InvalidQueryError(key, `match field ${JSON.stringify(field)} is not a plain name`);
    }
    if (v !== null && typeof v === 'object') {
      throw new InvalidQueryError(key, `match field ${field} needs a scalar value`);
    }
    out[field] = v === null ? null : checkJsonScalar(key, 'eq', v);
  }
  return out;
}

function checkTimediff(key: string, value: unknown, clock: Clock): string {
  const iso = typeof value === 'string' ? evaluateTimediff(value, clock) : undefined;
  if (iso === undefined) {
    throw new InvalidQueryError(
      key,
      `bad timediff expression ${JSON.stringify(value)} (expected now, now/d or now/w, optionally ± N with unit s, m, h, d or w)`,
    );
  }
  return iso;
}

/**
 * Normalises an ISO 8601 time to `new Date(v).toISOString()`.
 *
 * @throws InvalidQueryError when `v` is not an ISO 8601 date or date-time text.
 */
export function toIsoTime(key: string, v: unknown): string {
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  // A date-time without an offset is read as UTC, whatever the server's time zone.
  const zoned = typeof v === 'string' && /T|\s/.test(v) && !/(Z|[+-]\d{2}:?\d{2})$/.test(v);
  const text = typeof v === 'string' ? (zoned ? `${v.replace(' ', 'T')}Z` : v) : '';
  const d = typeof v === 'string' && iso.test(v) ? new Date(text) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) {
    throw new InvalidQueryError(key, `needs an ISO 8601 time, got ${describe(v)}`);
  }
  return d.toISOString();
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string'
    ? JSON.stringify(v)
    : typeof v === 'object'
      ? 'an object'
      : String(v);
}
