import { InvalidQueryError } from '../domain/errors.js';
import { systemClock, type Clock } from '../domain/time.js';
import { OPERATORS } from './ast.js';
import type { KeyRef, Operator, ResourceSchema } from './ast.js';
import {
  asObject,
  either,
  MAX_CONDITIONS,
  parseBool,
  parseConditions,
  parseCount,
  parseKeyword,
  parsePage,
  resolveKey,
  type ParseOptions,
} from './parse.js';
import type {
  Column,
  ColumnType,
  GroupField,
  GroupKey,
  GroupOperator,
  OutputColumn,
  ProjectField,
  ProjectOperator,
  Ref,
  Stage,
  StageCondition,
  StatQuery,
} from './stat-ast.js';
import { checkConditionValue, operandTypeOf, type OperandType } from './value-check.js';

const GROUP_OPERATORS: ReadonlySet<string> = new Set<GroupOperator>([
  'count',
  'sum',
  'average',
  'max',
  'min',
  'first',
  'last',
  'push',
  'add_to_set',
  'merge_objects',
]);

const PROJECT_OPERATORS: ReadonlySet<string> = new Set<ProjectOperator>([
  'size',
  'sum',
  'add',
  'subtract',
  'multiply',
  'divide',
]);

const STAGE_KINDS = ['group', 'count', 'sort', 'project', 'unwind', 'limit', 'skip'] as const;

/** Most stages one pipeline may have; a longer one is refused. */
export const MAX_STAGES = 32;

/** Most output columns of one group or project stage (SQLite allows 2000 per result set). */
export const MAX_STAGE_COLUMNS = 256;

/**
 * Parses a StatisticsQuery (plain JSON; `k/v/o`, `key/value/operator`, `n/name` spellings)
 * against a resource's allow-list. Stages are checked in order: every key a stage names must
 * exist in the output of the stages before it (the resource's keys before the first `group`,
 * `count` or `project`; afterwards the names those stages chose).
 *
 * @throws InvalidQueryError naming the stage, key or operator at fault.
 */
export function parseStatQuery(
  schema: ResourceSchema,
  input: unknown,
  options: ParseOptions = {},
): StatQuery {
  const q = asObject(input ?? {}, 'query');
  const clock = options.clock ?? systemClock;
  const parser = new PipelineParser(schema, clock);
  const base = {
    filter: parseConditions(schema, q['filter'], 'query.filter', options),
    filterOr: parseConditions(schema, q['filter_or'], 'query.filter_or', options),
    keyword: parseKeyword(q['keyword'], 'query.keyword'),
    page: parsePage(q['page'], 'query.page'),
  };

  const hasAggregate = Array.isArray(q['aggregate']) && q['aggregate'].length > 0;
  const hasDistinct = typeof q['distinct'] === 'string' && q['distinct'] !== '';
  if (hasAggregate && hasDistinct) {
    throw new InvalidQueryError('query.distinct', 'give either aggregate or distinct, not both');
  }
  if (hasDistinct) {
    const distinct = parser.resolve(q['distinct'], 'query.distinct');
    return { ...base, aggregate: [], distinct, output: [] };
  }
  if (!hasAggregate) {
    throw new InvalidQueryError(
      'query.aggregate',
      'a stat query needs aggregate stages or distinct',
    );
  }
  const aggregate = parser.parseStages(q['aggregate'] as unknown[]);
  return { ...base, aggregate, distinct: undefined, output: parser.output() };
}

/** Walks the pipeline keeping the scope: the names the current stage's input provides. */
class PipelineParser {
  #schema: ResourceSchema;
  #clock: Clock;
  #columns = new Map<string, Column>();
  #baseVisible = true;
  #aliases = 0;

  constructor(schema: ResourceSchema, clock: Clock) {
    this.#schema = schema;
    this.#clock = clock;
  }

  parseStages(raw: unknown[]): Stage[] {
    if (raw.length > MAX_STAGES) {
      throw new InvalidQueryError('query.aggregate', `at most ${MAX_STAGES} stages`);
    }
    return raw.map((r, i) => this.#parseStage(r, `query.aggregate[${i}]`));
  }

  /** Resolves a key in the current scope. */
  resolve(key: unknown, where: string): Ref {
    if (typeof key !== 'string' || key === '') {
      throw new InvalidQueryError(where, 'key must be a non-empty string');
    }
    const column = this.#columns.get(key);
    if (column !== undefined) return { kind: 'column', column, path: [] };

    const [head, ...path] = key.split('.');
    const parent = head === undefined ? undefined : this.#columns.get(head);
    if (parent !== undefined && path.length > 0) {
      if (parent.type !== 'jsontext') throw new InvalidQueryError(key, `${head} has no fields`);
      return {
        kind: 'column',
        column: parent,
        path: resolveKey(pathSchema, `x.${path.join('.')}`, where)
          .key.split('.')
          .slice(1),
      };
    }
    if (!this.#baseVisible) {
      const names = [...this.#columns.keys()].join(', ');
      throw new InvalidQueryError(key, `not a key of the previous stage's output (${names})`);
    }
    const jsonColumn = this.#schema.jsonFields[key];
    if (jsonColumn !== undefined) {
      return { kind: 'base', key: { kind: 'json', key, column: jsonColumn, path: [] } };
    }
    return { kind: 'base', key: resolveKey(this.#schema, key, where) };
  }

  /** The final scope as result columns. */
  output(): OutputColumn[] {
    if (!this.#baseVisible) {
      return [...this.#columns.values()].map((c) => ({ name: c.name, ref: columnRef(c) }));
    }
    return this.#baseNames().map((name) => ({ name, ref: this.resolve(name, 'query.aggregate') }));
  }

  #parseStage(raw: unknown, where: string): Stage {
    const s = asObject(raw, where);
    const kinds = STAGE_KINDS.filter((k) => s[k] !== undefined && s[k] !== null);
    if (kinds.length !== 1) {
      throw new InvalidQueryError(where, `needs exactly one of ${STAGE_KINDS.join(', ')}`);
    }
    const kind = kinds[0]!;
    const body = s[kind];
    const at = `${where}.${kind}`;
    switch (kind) {
      case 'group':
        return this.#parseGroup(asObject(body, at), at);
      case 'count':
        return this.#parseCount(asObject(body, at), at);
      case 'sort':
        return { kind: 'sort', keys: this.#parseSortKeys(asObject(body, at), at) };
      case 'project':
        return this.#parseProject(asObject(body, at), at);
      case 'unwind':
        return this.#parseUnwind(asObject(body, at), at);
      case 'limit':
      case 'skip':
        return { kind, count: parseCount(body, at, 0) };
    }
  }

  #parseGroup(g: Record<string, unknown>, where: string): Stage {
    const rawKeys = optionalList(g['keys'], `${where}.keys`);
    const rawFields = optionalList(g['fields'], `${where}.fields`);
    checkColumnCount(rawKeys.length + rawFields.length, where);
    const keys = rawKeys.map((k, i) => this.#parseGroupKey(k, `${where}.keys[${i}]`));
    const fields = rawFields.map((f, i) => this.#parseGroupField(f, `${where}.fields[${i}]`));
    if (keys.length + fields.length === 0)
      throw new InvalidQueryError(where, 'needs keys or fields');
    this.#replaceScope(where, [...keys.map((k) => k.column), ...fields.map((f) => f.column)]);
    return { kind: 'group', keys, fields };
  }

  #parseGroupKey(raw: unknown, where: string): GroupKey {
    const k = asObject(raw, where);
    const key = either(k, 'key', 'k');
    const ref = this.resolve(key, `${where}.key`);
    const name = parseName(either(k, 'name', 'n') ?? key, `${where}.name`);
    const format = k['date_format'];
    if (format === undefined || format === null || format === '') {
      return { ref, column: this.#column(name, typeOf(ref)), dateFormat: undefined };
    }
    if (typeof format !== 'string' || !/^(?:%[YmdHMSj%]|[^%])*$/.test(format)) {
      throw new InvalidQueryError(
        `${where}.date_format`,
        'supports only %Y %m %d %H %M %S %j %% and literal text',
      );
    }
    if (valueTypeOf(ref) !== 'datetime' && valueTypeOf(ref) !== 'any') {
      throw new InvalidQueryError(String(key), 'date_format needs a time key');
    }
    return { ref, column: this.#column(name, 'value'), dateFormat: format };
  }

  #parseGroupField(raw: unknown, where: string): GroupField {
    const f = asObject(raw, where);
    const operator = either(f, 'operator', 'o');
    if (typeof operator !== 'string' || !GROUP_OPERATORS.has(operator)) {
      throw new InvalidQueryError(
        `${where}.operator`,
        `unknown group operator ${JSON.stringify(operator)}`,
      );
    }
    const op = operator as GroupOperator;
    const name = parseName(either(f, 'name', 'n'), `${where}.name`);
    const rawKey = either(f, 'key', 'k');
    const fields = optionalList(f['fields'], `${where}.fields`).map((sub, i) => {
      const s = asObject(sub, `${where}.fields[${i}]`);
      const subKey = either(s, 'key', 'k');
      const ref = this.resolve(subKey, `${where}.fields[${i}].key`);
      return {
        name: parseName(either(s, 'name', 'n') ?? subKey, `${where}.fields[${i}].name`),
        ref,
      };
    });
    const needsKey =
      op !== 'count' && !(fields.length > 0 && (op === 'push' || op === 'add_to_set'));
    const ref =
      rawKey === undefined || rawKey === null || rawKey === ''
        ? undefined
        : this.resolve(rawKey, `${where}.key`);
    if (needsKey && ref === undefined)
      throw new InvalidQueryError(`${where}.key`, `operator ${op} needs a key`);
    if (ref !== undefined) checkAggregable(op, ref, String(rawKey));
    const rawConditions = optionalList(f['conditions'], `${where}.conditions`);
    if (rawConditions.length > MAX_CONDITIONS) {
      throw new InvalidQueryError(
        `${where}.conditions`,
        `has ${rawConditions.length} conditions; at most ${MAX_CONDITIONS}`,
      );
    }
    const conditions = rawConditions.map((c, i) =>
      this.#parseCondition(c, `${where}.conditions[${i}]`),
    );
    const type: ColumnType = columnTypeOfAggregate(op, ref);
    return { operator: op, ref, fields, conditions, column: this.#column(name, type) };
  }

  #parseCondition(raw: unknown, where: string): StageCondition {
    const c = asObject(raw, where);
    const ref = this.resolve(either(c, 'key', 'k'), `${where}.key`);
    const operator = either(c, 'operator', 'o') ?? 'eq';
    const value = 'value' in c ? c['value'] : c['v'];
    const key = refName(ref);
    if (typeof operator !== 'string' || !OPERATOR_NAMES.has(operator)) {
      throw new InvalidQueryError(key, `unknown operator ${JSON.stringify(operator)}`);
    }
    const op = operator as Operator;
    const checked = checkConditionValue({ key, type: valueTypeOf(ref) }, op, value, this.#clock);
    return { ref, operator: op, value: checked };
  }

  #parseCount(c: Record<string, unknown>, where: string): Stage {
    const column = this.#column(parseName(either(c, 'name', 'n'), `${where}.name`), 'value');
    this.#replaceScope(where, [column]);
    return { kind: 'count', column };
  }

  #parseSortKeys(s: Record<string, unknown>, where: string): { ref: Ref; desc: boolean }[] {
    const keys: { ref: Ref; desc: boolean }[] = [];
    if (s['key'] !== undefined && s['key'] !== null && s['key'] !== '') {
      keys.push({
        ref: this.resolve(s['key'], `${where}.key`),
        desc: parseBool(s['desc'], `${where}.desc`),
      });
    }
    optionalList(s['keys'], `${where}.keys`).forEach((raw, i) => {
      const k = asObject(raw, `${where}.keys[${i}]`);
      keys.push({
        ref: this.resolve(k['key'], `${where}.keys[${i}].key`),
        desc: parseBool(k['desc'], `${where}.keys[${i}].desc`),
      });
    });
    if (keys.length === 0) throw new InvalidQueryError(where, 'needs key or keys');
    return keys;
  }

  #parseProject(p: Record<string, unknown>, where: string): Stage {
    const exclude = new Set(optionalList(p['exclude_keys'], `${where}.exclude_keys`).map(String));
    const raw = optionalList(p['fields'], `${where}.fields`);
    checkColumnCount(raw.length, where);
    const fields =
      raw.length > 0
        ? raw.map((f, i) => this.#parseProjectField(f, `${where}.fields[${i}]`))
        : this.#carriedNames()
            .filter((n) => !exclude.has(n))
            .map((n) => {
              const ref = this.resolve(n, where);
              return {
                operator: undefined,
                ref,
                operand: undefined,
                column: this.#column(n, typeOf(ref)),
              };
            });
    const kept = fields.filter((f) => !exclude.has(f.column.name));
    if (kept.length === 0) throw new InvalidQueryError(where, 'leaves no fields to output');
    this.#replaceScope(
      where,
      kept.map((f) => f.column),
    );
    return { kind: 'project', fields: kept };
  }

  #parseProjectField(raw: unknown, where: string): ProjectField {
    const f = asObject(raw, where);
    const key = either(f, 'key', 'k');
    const ref = this.resolve(key, `${where}.key`);
    const name = parseName(either(f, 'name', 'n') ?? key, `${where}.name`);
    const operator = either(f, 'operator', 'o');
    if (operator === undefined || operator === null || operator === '') {
      return {
        operator: undefined,
        ref,
        operand: undefined,
        column: this.#column(name, typeOf(ref)),
      };
    }
    if (typeof operator !== 'string' || !PROJECT_OPERATORS.has(operator)) {
      throw new InvalidQueryError(
        `${where}.operator`,
        `unknown project operator ${JSON.stringify(operator)}`,
      );
    }
    const op = operator as ProjectOperator;
    if (op === 'size' || op === 'sum') {
      return { operator: op, ref, operand: undefined, column: this.#column(name, 'value') };
    }
    const value = either(f, 'value', 'v');
    let operand: number | Ref;
    if (typeof value === 'number' && Number.isFinite(value)) operand = value;
    else if (typeof value === 'string') operand = this.resolve(value, `${where}.value`);
    else
      throw new InvalidQueryError(
        `${where}.value`,
        `operator ${op} needs a number or a key as value`,
      );
    return { operator: op, ref, operand, column: this.#column(name, 'value') };
  }

  #parseUnwind(u: Record<string, unknown>, where: string): Stage {
    const path = u['path'];
    const ref = this.resolve(path, `${where}.path`);
    if (typeOf(ref) !== 'jsontext') {
      throw new InvalidQueryError(String(path), 'unwind needs a list key');
    }
    const column = this.#column(String(path), 'jsontext');
    this.#columns.set(column.name, column);
    return { kind: 'unwind', ref, column };
  }

  #replaceScope(where: string, columns: Column[]): void {
    const names = new Set<string>();
    for (const c of columns) {
      if (names.has(c.name)) throw new InvalidQueryError(where, `name ${c.name} is used twice`);
      names.add(c.name);
    }
    this.#columns = new Map(columns.map((c) => [c.name, c]));
    this.#baseVisible = false;
  }

  #carriedNames(): string[] {
    return this.#baseVisible ? this.#baseNames() : [...this.#columns.keys()];
  }

  #baseNames(): string[] {
    const names = [...Object.keys(this.#schema.fields), ...Object.keys(this.#schema.jsonFields)];
    for (const n of this.#columns.keys()) if (!names.includes(n)) names.push(n);
    return names;
  }

  #column(name: string, type: ColumnType): Column {
    return { name, alias: `c${this.#aliases++}`, type };
  }
}

const OPERATOR_NAMES: ReadonlySet<string> = new Set<string>(OPERATORS);

/** A schema with one JSON prefix, used to validate path segments under a computed column. */
const pathSchema: ResourceSchema = {
  name: 'column',
  fields: {},
  jsonFields: { x: 'x' },
  keywordFields: [],
  tiebreak: [],
  minimalFields: [],
};

/** How a reference's value maps to JSON. */
export function typeOf(ref: Ref): ColumnType {
  if (ref.kind === 'column') return ref.path.length > 0 ? 'jsontext' : ref.column.type;
  if (ref.key.kind === 'json') return 'jsontext';
  if (ref.key.type === 'string_list') return 'jsontext';
  return ref.key.type === 'boolean' ? 'boolean' : 'value';
}

/** The value type a condition on this reference is checked against. */
function valueTypeOf(ref: Ref): OperandType {
  if (ref.kind === 'base') return operandTypeOf(ref.key);
  if (ref.path.length > 0 || ref.column.type === 'jsontext') return 'json';
  return ref.column.type === 'boolean' ? 'boolean' : 'any';
}

function refName(ref: Ref): string {
  return ref.kind === 'base' ? ref.key.key : [ref.column.name, ...ref.path].join('.');
}

function columnRef(column: Column): Ref {
  return { kind: 'column', column, path: [] };
}

function checkAggregable(op: GroupOperator, ref: Ref, key: string): void {
  const type = valueTypeOf(ref);
  if ((op === 'sum' || op === 'average') && !['integer', 'json', 'any'].includes(type)) {
    throw new InvalidQueryError(key, `operator ${op} needs a numeric key, and ${key} is ${type}`);
  }
  if (op === 'merge_objects' && typeOf(ref) !== 'jsontext') {
    throw new InvalidQueryError(
      key,
      'operator merge_objects needs an object key such as tags or labels',
    );
  }
}

function columnTypeOfAggregate(op: GroupOperator, ref: Ref | undefined): ColumnType {
  switch (op) {
    case 'push':
    case 'add_to_set':
    case 'merge_objects':
      return 'jsontext';
    case 'first':
    case 'last':
      return ref === undefined ? 'value' : typeOf(ref);
    case 'max':
    case 'min':
      return ref !== undefined && typeOf(ref) === 'boolean' ? 'boolean' : 'value';
    default:
      return 'value';
  }
}

function checkColumnCount(count: number, where: string): void {
  if (count > MAX_STAGE_COLUMNS) {
    throw new InvalidQueryError(where, `has ${count} columns; at most ${MAX_STAGE_COLUMNS}`);
  }
}

function parseName(input: unknown, where: string): string {
  if (typeof input !== 'string' || input === '') {
    throw new InvalidQueryError(where, 'needs a non-empty name');
  }
  // An output row is a plain object: `__proto__` would set its prototype, not a field.
  if (input === '__proto__') throw new InvalidQueryError(where, 'may not be __proto__');
  return input;
}

function optionalList(input: unknown, where: string): unknown[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new InvalidQueryError(where, 'must be a list');
  return input;
}

export type { KeyRef };
