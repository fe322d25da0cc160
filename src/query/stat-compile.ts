import type { ResourceSchema } from './ast.js';
import { compileWhere, finish } from './compile.js';
import { compileCondition, operandOf, type Operand } from './condition.js';
import type { SqlDialect } from './dialect/dialect.js';
import { allOf, join, param, raw, sql, type SqlFragment } from './sql.js';
import type {
  Column,
  ColumnType,
  GroupField,
  OutputColumn,
  ProjectField,
  Ref,
  Stage,
  StatQuery,
} from './stat-ast.js';
import { typeOf } from './stat-parse.js';

/**
 * A compiled stat query: one statement (both as the object's own `sql`/`params` and as
 * `select`), an optional count, and the row mapping.
 */
export interface CompiledStat extends SqlFragment {
  /** The same statement as `sql`/`params`. */
  select: SqlFragment;
  /** One row with `total_count` (every result, regardless of the page); only when paged. */
  count?: SqlFragment;
  /**
   * Turns one result row into the answer's element: an object with the pipeline's names (group
   * keys flattened beside the fields; JSON columns parsed; booleans as true/false), or for
   * `distinct` the plain value.
   */
  mapRow(row: Record<string, unknown>): unknown;
}

/**
 * Compiles a parsed StatisticsQuery over `source` into one SQL statement: the filtered rows
 * become the first common table expression, and every pipeline stage that reshapes rows wraps
 * the previous one (`WITH s0 AS (…), s1 AS (SELECT … FROM s0 …) SELECT … FROM sN`). `sort` only
 * changes the order carried along, which `first`, `last`, `push`, `limit`, `skip` and the final
 * select honour; before any sort the order is the resource's stable id order, and a `group`
 * orders its output by its keys. Every user value is a bound parameter, and every column a stage
 * computes has an internal alias.
 *
 * Run `sql`/`params`, map each row with `mapRow`, and answer `{ results }` (plus `total_count`
 * from `count` when present).
 */
export function compileStat(
  schema: ResourceSchema,
  source: SqlFragment,
  query: StatQuery,
  dialect: SqlDialect,
): CompiledStat {
  const c = new StatCompiler(schema, dialect);
  c.addCte(sql`SELECT * FROM ${source} WHERE ${compileWhere(schema, query, dialect)}`);
  if (query.distinct !== undefined) return c.distinct(query.distinct, query.page);
  for (const stage of query.aggregate) c.stage(stage);
  return c.final(query.output, query.page);
}

interface OrderTerm {
  expr: SqlFragment;
  desc: boolean;
}

class StatCompiler {
  #d: SqlDialect;
  #ctes: SqlFragment[] = [];
  #order: OrderTerm[];

  constructor(schema: ResourceSchema, dialect: SqlDialect) {
    this.#d = dialect;
    this.#order = schema.tiebreak.map((k) => ({
      expr: raw(schema.fields[k]?.column ?? k),
      desc: false,
    }));
  }

  addCte(body: SqlFragment): void {
    this.#ctes.push(body);
  }

  stage(stage: Stage): void {
    switch (stage.kind) {
      case 'sort':
        this.#order = [
          ...stage.keys.map((k) => ({ expr: this.#value(k.ref), desc: k.desc })),
          ...this.#order,
        ];
        return;
      case 'limit':
        this.addCte(
          sql`SELECT * FROM ${this.#prev} ORDER BY ${this.#orderSql()} ${this.#d.limitOffset(stage.count, 0)}`,
        );
        return;
      case 'skip':
        this.addCte(
          sql`SELECT * FROM ${this.#prev} ORDER BY ${this.#orderSql()} ${this.#d.limitOffset(undefined, stage.count)}`,
        );
        return;
      case 'unwind':
        return this.#unwind(stage.ref, stage.column);
      case 'count':
        this.addCte(sql`SELECT count(*) AS ${raw(stage.column.alias)} FROM ${this.#prev}`);
        this.#order = [{ expr: raw(stage.column.alias), desc: false }];
        return;
      case 'group':
        return this.#group(stage.keys, stage.fields);
      case 'project':
        return this.#project(stage.fields);
    }
  }

  distinct(ref: Ref, page: { start: number; limit: number }): CompiledStat {
    const values =
      ref.kind === 'base' && ref.key.kind === 'column' && ref.key.type === 'string_list'
        ? this.#unwoundValues(ref)
        : sql`SELECT ${this.#value(ref)} AS v FROM ${this.#prev}`;
    const body = sql`SELECT DISTINCT v AS value FROM (${values}) AS d WHERE v IS NOT NULL`;
    const boolean = typeOf(ref) === 'boolean';
    return this.#paged(body, sql`ORDER BY value`, page, (row) =>
      boolean ? toBoolean(row['value']) : row['value'],
    );
  }

  final(output: OutputColumn[], page: { start: number; limit: number }): CompiledStat {
    const columns = output.map((o, i) => sql`${this.#natural(o.ref)} AS ${raw(`o${i}`)}`);
    const body = sql`SELECT ${join(columns, ', ')} FROM ${this.#prev}`;
    const types = output.map((o) => typeOf(o.ref));
    const mapRow = (row: Record<string, unknown>): unknown => {
      const out: Record<string, unknown> = {};
      output.forEach((o, i) => {
        out[o.name] = fromSql(row[`o${i}`], types[i] ?? 'value');
      });
      return out;
    };
    return this.#paged(body, sql`ORDER BY ${this.#orderSql()}`, page, mapRow);
  }

  get #prev(): SqlFragment {
    return raw(`s${this.#ctes.length - 1}`);
  }

  #paged(
    body: SqlFragment,
    order: SqlFragment,
    page: { start: number; limit: number },
    mapRow: (row: Record<string, unknown>) => unknown,
  ): CompiledStat {
    const withs = sql`WITH ${join(
      this.#ctes.map((c, i) => sql`${raw(`s${i}`)} AS (${c})`),
      ', ',
    )}`;
    let select = sql`${withs} ${body} ${order}`;
    if (page.limit === 0) return compiled(finish(select, this.#d), undefined, mapRow);
    // page.start is the 1-based index of the first row (SpaceONE's clients send (page-1)*limit+1).
    select = sql`${select} ${this.#d.limitOffset(page.limit, page.start - 1)}`;
    const count = sql`${withs} SELECT count(*) AS total_count FROM (${body}) AS r`;
    return compiled(finish(select, this.#d), finish(count, this.#d), mapRow);
  }

  #group(
    keys: { ref: Ref; column: Column; dateFormat: string | undefined }[],
    fields: GroupField[],
  ): void {
    const keyExprs = keys.map((k) =>
      k.dateFormat === undefined
        ? this.#natural(k.ref)
        : this.#d.formatTime(this.#value(k.ref), k.dateFormat),
    );
    const order = this.#orderSql();
    const select = [
      ...keys.map((k, i) => sql`${keyExprs[i]!} AS ${raw(k.column.alias)}`),
      ...fields.map((f) => sql`${this.#aggregate(f, order)} AS ${raw(aggregateAlias(f))}`),
    ];
    const groupBy =
      keys.length > 0 ? sql`GROUP BY ${join(keyExprs, ', ')}` : raw('HAVING count(*) > 0');
    this.addCte(sql`SELECT ${join(select, ', ')} FROM ${this.#prev} ${groupBy}`);

    const merges = fields.filter((f) => f.operator === 'merge_objects');
    if (merges.length > 0) {
      const merged = merges.map(
        (f) => sql`${this.#d.mergeObjects(raw(aggregateAlias(f)))} AS ${raw(f.column.alias)}`,
      );
      this.addCte(sql`SELECT *, ${join(merged, ', ')} FROM ${this.#prev}`);
    }
    const first = keys[0]?.column ?? fields[0]?.column;
    this.#order =
      keys.length > 0
        ? keys.map((k) => ({ expr: raw(k.column.alias), desc: false }))
        : [{ expr: raw(first?.alias ?? '1'), desc: false }];
  }

  #aggregate(f: GroupField, order: SqlFragment): SqlFragment {
    const filter =
      f.conditions.length === 0
        ? undefined
        : allOf(
            f.conditions.map((c) =>
              compileCondition(this.#operand(c.ref), c.operator, c.value, this.#d),
            ),
          );
    const fc = filter === undefined ? raw('') : sql` FILTER (WHERE ${filter})`;
    switch (f.operator) {
      case 'count':
        return sql`count(*)${fc}`;
      case 'sum':
        return sql`COALESCE(sum(${this.#number(f.ref!)})${fc}, 0)`;
      case 'average':
        return sql`avg(${this.#number(f.ref!)})${fc}`;
      case 'max':
        return sql`max(${this.#value(f.ref!)})${fc}`;
      case 'min':
        return sql`min(${this.#value(f.ref!)})${fc}`;
      case 'first':
      case 'last':
        return this.#d.firstValueAgg(
          this.#natural(f.ref!),
          order,
          f.operator === 'last',
          typeOf(f.ref!) === 'jsontext',
          filter,
        );
      case 'push':
        return this.#d.jsonArrayAgg(this.#element(f), order, false, filter);
      case 'add_to_set':
        return this.#d.jsonArrayAgg(this.#element(f), undefined, true, filter);
      case 'merge_objects':
        return this.#d.jsonArrayAgg(this.#d.asJson(this.#natural(f.ref!)), order, false, filter);
    }
  }

  #element(f: GroupField): SqlFragment {
    if (f.fields.length > 0) {
      return this.#d.jsonObject(f.fields.map((s) => [s.name, this.#embeddable(s.ref)]));
    }
    return this.#embeddable(f.ref!);
  }

  #embeddable(ref: Ref): SqlFragment {
    const t = typeOf(ref);
    if (t === 'jsontext') return this.#d.asJson(this.#natural(ref));
    if (t === 'boolean')
      return sql`CASE ${this.#value(ref)} WHEN 1 THEN ${this.#d.asJson(raw(`'true'`))} WHEN 0 THEN ${this.#d.asJson(raw(`'false'`))} END`;
    return this.#value(ref);
  }

  #project(fields: ProjectField[]): void {
    const select = fields.map((f) => sql`${this.#projection(f)} AS ${raw(f.column.alias)}`);
    const carried = this.#order.map(
      (t, i) => sql`${t.expr} AS ${raw(`s${this.#ctes.length}_o${i}`)}`,
    );
    const next = this.#ctes.length;
    this.addCte(sql`SELECT ${join([...select, ...carried], ', ')} FROM ${this.#prev}`);
    this.#order = this.#order.map((t, i) => ({ expr: raw(`s${next}_o${i}`), desc: t.desc }));
  }

  #projection(f: ProjectField): SqlFragment {
    const a = this.#value(f.ref);
    const b =
      f.operand === undefined
        ? raw('NULL')
        : typeof f.operand === 'number'
          ? param(f.operand)
          : this.#value(f.operand);
    switch (f.operator) {
      case undefined:
        return this.#natural(f.ref);
      case 'size':
        return this.#d.jsonArrayLength(this.#natural(f.ref));
      case 'sum':
        return this.#d.jsonArraySum(this.#natural(f.ref));
      case 'add':
        return sql`(${a} + ${b})`;
      case 'subtract':
        return sql`(${a} - ${b})`;
      case 'multiply':
        return sql`(${a} * ${b})`;
      case 'divide':
        return sql`((${a}) * 1.0 / NULLIF(${b}, 0))`;
    }
  }

  #unwind(ref: Ref, column: Column): void {
    const u = this.#d.unwind(this.#natural(ref), 'u');
    const next = this.#ctes.length;
    this.addCte(
      sql`SELECT ${this.#prev}.*, ${raw(u.value)} AS ${raw(column.alias)}, ${raw(u.index)} AS ${raw(`s${next}_i`)} FROM ${this.#prev}, ${u.from}`,
    );
    this.#order = [...this.#order, { expr: raw(`s${next}_i`), desc: false }];
  }

  #unwoundValues(ref: Ref): SqlFragment {
    const u = this.#d.unwind(this.#natural(ref), 'u');
    const element: Operand = { kind: 'json', key: 'value', doc: raw(u.value), path: [] };
    return sql`SELECT ${this.#d.jsonValue(element.doc, [])} AS v FROM ${this.#prev}, ${u.from}`;
  }

  #orderSql(): SqlFragment {
    return join(
      this.#order.map((t) => this.#d.orderTerm(t.expr, t.desc)),
      ', ',
    );
  }

  /** The SQL scalar value of a reference (JSON values extracted). */
  #value(ref: Ref): SqlFragment {
    if (ref.kind === 'base') {
      if (ref.key.kind === 'json') return this.#d.jsonValue(raw(ref.key.column), ref.key.path);
      return raw(ref.key.column);
    }
    const col = raw(ref.column.alias);
    if (ref.path.length > 0 || ref.column.type === 'jsontext')
      return this.#d.jsonValue(col, ref.path);
    return col;
  }

  /** A numeric value for sum/average: JSON values count only where they are numbers. */
  #number(ref: Ref): SqlFragment {
    const o = this.#operand(ref);
    if (o.kind !== 'json') return this.#value(ref);
    const isNumber = this.#d.jsonTypeIn(o.doc, o.path, ['number']);
    return sql`CASE WHEN ${isNumber} THEN ${this.#d.jsonNumber(o.doc, o.path)} END`;
  }

  /** The value in the form its column type promises (JSON text for jsontext). */
  #natural(ref: Ref): SqlFragment {
    if (typeOf(ref) !== 'jsontext') return this.#value(ref);
    if (ref.kind === 'base') {
      if (ref.key.kind === 'json') return this.#d.jsonText(raw(ref.key.column), ref.key.path);
      return raw(ref.key.column);
    }
    const col = raw(ref.column.alias);
    return ref.path.length > 0 ? this.#d.jsonText(col, ref.path) : col;
  }

  #operand(ref: Ref): Operand {
    if (ref.kind === 'base') return operandOf(ref.key);
    const col = raw(ref.column.alias);
    if (ref.path.length > 0 || ref.column.type === 'jsontext') {
      return { kind: 'json', key: ref.column.name, doc: col, path: ref.path };
    }
    return {
      kind: 'scalar',
      key: ref.column.name,
      expr: col,
      boolean: ref.column.type === 'boolean',
    };
  }
}

function compiled(
  select: SqlFragment,
  count: SqlFragment | undefined,
  mapRow: (row: Record<string, unknown>) => unknown,
): CompiledStat {
  const out: CompiledStat = { sql: select.sql, params: select.params, select, mapRow };
  if (count !== undefined) out.count = count;
  return out;
}

function aggregateAlias(f: GroupField): string {
  return f.operator === 'merge_objects' ? `${f.column.alias}_r` : f.column.alias;
}

function toBoolean(v: unknown): unknown {
  return v === null || v === undefined ? null : v === 1 || v === true;
}

function fromSql(v: unknown, type: ColumnType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return toBoolean(v);
  if (type === 'jsontext' && typeof v === 'string') return JSON.parse(v) as unknown;
  return v;
}
