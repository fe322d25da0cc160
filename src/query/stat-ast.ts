import type { Condition, KeyRef, Operator } from './ast.js';

/**
 * The typed form of a StatisticsQuery after parsing. Every key a stage names is already resolved
 * against the scope the previous stages produce, and every computed column has an internal alias
 * (`c0`, `c1`, …), so user-chosen names never reach SQL text.
 */
export interface StatQuery {
  filter: Condition[];
  filterOr: Condition[];
  keyword: string[];
  aggregate: Stage[];
  /** `distinct` on one key: the results are its distinct non-null values, sorted. */
  distinct: Ref | undefined;
  page: { start: number; limit: number };
  /** The columns of the last stage, in output order (what `mapRow` returns). */
  output: OutputColumn[];
}

/** How a computed column's SQL value maps to JSON. */
export type ColumnType = 'value' | 'boolean' | 'jsontext';

/** A named column of a stage's output. */
export interface Column {
  name: string;
  alias: string;
  type: ColumnType;
}

/** A column of the final result: a name, and the SQL that yields it from the last stage. */
export interface OutputColumn {
  name: string;
  ref: Ref;
}

/** What a stage's key names: a key of the resource, or a computed column (maybe a path in it). */
export type Ref =
  { kind: 'base'; key: KeyRef } | { kind: 'column'; column: Column; path: string[] };

export type GroupOperator =
  | 'count'
  | 'sum'
  | 'average'
  | 'max'
  | 'min'
  | 'first'
  | 'last'
  | 'push'
  | 'add_to_set'
  | 'merge_objects';

export type ProjectOperator = 'size' | 'sum' | 'add' | 'subtract' | 'multiply' | 'divide';

/** A condition of a group field, on the stage's input. */
export interface StageCondition {
  ref: Ref;
  operator: Operator;
  value: unknown;
}

export interface GroupKey {
  ref: Ref;
  column: Column;
  dateFormat: string | undefined;
}

export interface GroupField {
  operator: GroupOperator;
  /** The value aggregated (absent for count, or when `fields` builds objects for push). */
  ref: Ref | undefined;
  /** push/add_to_set of objects: name → value. */
  fields: { name: string; ref: Ref }[];
  conditions: StageCondition[];
  column: Column;
}

export interface ProjectField {
  operator: ProjectOperator | undefined;
  ref: Ref;
  /** Second operand of add/subtract/multiply/divide: a number or another key. */
  operand: number | Ref | undefined;
  column: Column;
}

export type Stage =
  | { kind: 'group'; keys: GroupKey[]; fields: GroupField[] }
  | { kind: 'count'; column: Column }
  | { kind: 'sort'; keys: { ref: Ref; desc: boolean }[] }
  | { kind: 'project'; fields: ProjectField[] }
  | { kind: 'unwind'; ref: Ref; column: Column }
  | { kind: 'limit'; count: number }
  | { kind: 'skip'; count: number };
