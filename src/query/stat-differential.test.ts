import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { aggregate } from 'mingo';
import {
  installedPluginResource,
  installedPluginSource,
  supervisorResource,
  supervisorSource,
} from '../store/resources.js';
import type { ResourceSchema } from './ast.js';
import { sqliteDialect } from './dialect/sqlite.js';
import type { SqlFragment } from './sql.js';
import { compileStat } from './stat-compile.js';
import { parseStatQuery } from './stat-parse.js';
import { generateDataset, pluginDocs, Rng, supervisorDocs } from './test-data.js';
import { openTestStore, type TestStore } from './test-store.js';

/*
 * Differential test of StatisticsQuery: generated pipelines answered by the SQL compiler on a
 * real SQLite file and by mingo's aggregate, translated here independently of the compiler.
 * Set PLUGVISOR_QUERY_SEED to replay one seed.
 */

const SEEDS = process.env['PLUGVISOR_QUERY_SEED']
  ? [Number(process.env['PLUGVISOR_QUERY_SEED'])]
  : [1, 2];
const CASES_PER_SEED = 300;

type Doc = Record<string, unknown>;

interface Family {
  schema: ResourceSchema;
  source: SqlFragment;
  groupKeys: string[];
  numeric: string[];
  text: string[];
  lists: string[];
  distinct: string[];
  filters: Doc[][];
}

const SUPERVISORS: Family = {
  schema: supervisorResource,
  source: supervisorSource('domain-a'),
  groupKeys: ['state', 'is_public', 'priority', 'domain_id'],
  numeric: ['priority', 'tags.n'],
  text: ['supervisor_id', 'name', 'hostname', 'created_at'],
  lists: [],
  distinct: ['state', 'name', 'priority', 'tags.env', 'labels.region', 'is_public'],
  filters: [
    [],
    [{ k: 'state', v: 'ENABLED', o: 'not' }],
    [{ k: 'priority', v: 4, o: 'gte' }],
    [{ k: 'name', v: 'ü', o: 'contain' }],
  ],
};

const PLUGINS: Family = {
  schema: installedPluginResource,
  source: installedPluginSource('domain-a'),
  groupKeys: ['state', 'plugin_id', 'version', 'managed', 'supervisor_id'],
  numeric: [],
  text: ['plugin_id', 'supervisor_id', 'endpoint', 'hostname'],
  lists: ['endpoints'],
  distinct: ['state', 'plugin_id', 'endpoints', 'managed'],
  filters: [
    [],
    [{ k: 'state', v: ['ACTIVE', 'ERROR'], o: 'in' }],
    [{ k: 'endpoint_called_at', v: false, o: 'exists' }],
  ],
};

describe('stat queries agree with mingo aggregate', () => {
  for (const seed of SEEDS) {
    describe(`seed ${seed}`, () => {
      const rng = new Rng(seed);
      const data = generateDataset(rng, 90, 260);
      let t: TestStore;

      before(async () => {
        t = await openTestStore(data.supervisors, data.plugins);
      });
      after(async () => t.dispose());

      it(`answers ${CASES_PER_SEED} generated supervisor pipelines like mingo`, async () => {
        await runCases(seed, rng, supervisorDocs(data), SUPERVISORS, t);
      });

      it(`answers ${CASES_PER_SEED} generated installed-plugin pipelines like mingo`, async () => {
        const key = (d: Doc): string =>
          `${String(d['supervisor_id'])}\u0000${String(d['plugin_id'])}\u0000${String(d['version'])}`;
        const docs = pluginDocs(data).sort((a, b) =>
          key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
        );
        await runCases(seed, rng, docs, PLUGINS, t);
      });
    });
  }
});

async function runCases(
  seed: number,
  rng: Rng,
  docs: Doc[],
  family: Family,
  t: TestStore,
): Promise<void> {
  for (let i = 0; i < CASES_PER_SEED; i++) {
    const { query, mongo, ordered, sets } = generate(rng, family);
    const context = `seed ${seed}, case ${i}: ${JSON.stringify(query)}`;

    const compiled = compileStat(
      family.schema,
      family.source,
      parseStatQuery(family.schema, query),
      sqliteDialect,
    );
    const actual = (await t.run(compiled)).map((r) => compiled.mapRow(r));
    const filtered = docs.filter((d) => matchesFilter(d, query['filter'] as Doc[]));
    const expected =
      query['distinct'] !== undefined
        ? distinct(filtered, String(query['distinct']))
        : aggregate(filtered, mongo);

    const canon = (rows: unknown[]): unknown[] => {
      const c = rows.map((r) => canonical(r, sets));
      return ordered ? c : c.map((r) => JSON.stringify(r)).sort();
    };
    assert.deepEqual(canon(actual), canon(expected), `results differ (${context})`);
  }
}

/** A generated StatisticsQuery, the same pipeline in MongoDB's language, and how to compare. */
function generate(
  rng: Rng,
  f: Family,
): { query: Doc; mongo: Doc[]; ordered: boolean; sets: string[] } {
  const filter = rng.pick(f.filters);
  if (rng.chance(0.12))
    return {
      query: { filter, distinct: rng.pick(f.distinct) },
      mongo: [],
      ordered: true,
      sets: [],
    };

  const query: Doc = { filter, aggregate: [] as Doc[] };
  const stages = query['aggregate'] as Doc[];
  const mongo: Doc[] = [];
  if (f.lists.length > 0 && rng.chance(0.3)) {
    const path = rng.pick(f.lists);
    stages.push({ unwind: { path } });
    mongo.push({ $unwind: `$${path}` });
  }
  if (rng.chance(0.2)) {
    const key = rng.pick(f.text);
    const desc = rng.chance(0.5);
    stages.push({ sort: { key, desc } });
    mongo.push({ $sort: { [key]: desc ? -1 : 1 } });
  }
  const keys = [
    ...new Set(
      rng.some([...f.groupKeys, ...f.lists.filter(() => stages.some((s) => 'unwind' in s))], 2),
    ),
  ];
  const fields = generateFields(rng, f);
  if (keys.length + fields.length === 0)
    fields.push({ name: 'n', operator: 'count', mongo: { $sum: 1 } });
  stages.push({
    group: {
      keys: keys.map((k) => ({ key: k, name: `k_${k}` })),
      fields: fields.map(({ mongo: _m, ...rest }) => rest),
    },
  });
  const id = Object.fromEntries(keys.map((k) => [`k_${k}`, `$${k}`]));
  mongo.push({
    $group: {
      _id: keys.length === 0 ? null : id,
      ...Object.fromEntries(fields.map((x) => [x.name, x.mongo])),
    },
  });
  const flatten: Doc = {
    _id: 0,
    ...Object.fromEntries(keys.map((k) => [`k_${k}`, `$_id.k_${k}`])),
  };
  for (const x of fields) flatten[x.name] = 1;
  mongo.push({ $project: flatten });

  const names = [...keys.map((k) => `k_${k}`), ...fields.map((x) => x.name)];
  let ordered = false;
  if (rng.chance(0.5)) {
    const first = rng.pick(names);
    const desc = rng.chance(0.5);
    const sortKeys = [
      { key: first, desc },
      ...names
        .filter((n) => n !== first && n.startsWith('k_'))
        .map((key) => ({ key, desc: false })),
    ];
    const unique = keys.length > 0 || first.startsWith('k_');
    if (unique && !fields.some((x) => x.name === first && x.operator.match(/push|add_to_set/))) {
      stages.push({ sort: { keys: sortKeys } });
      mongo.push({ $sort: Object.fromEntries(sortKeys.map((s) => [s.key, s.desc ? -1 : 1])) });
      ordered = true;
      if (rng.chance(0.5)) {
        const skip = rng.int(0, 3);
        const limit = rng.int(1, 5);
        stages.push({ skip }, { limit });
        mongo.push({ $skip: skip }, { $limit: limit });
      }
    }
  }
  const sizable = fields.filter((x) => x.operator === 'push');
  if (rng.chance(0.3)) {
    const projectFields: Doc[] = names
      .filter(() => rng.chance(0.6))
      .map((n) => ({ key: n, name: n }));
    const proj: Doc = { _id: 0 };
    for (const p of projectFields) proj[String(p['name'])] = `$${String(p['key'])}`;
    for (const x of sizable) {
      projectFields.push({ key: x.name, name: `${x.name}_size`, operator: 'size' });
      proj[`${x.name}_size`] = { $size: `$${x.name}` };
    }
    const counts = fields.filter((x) => x.operator === 'count');
    for (const x of counts) {
      const op = rng.pick(['add', 'subtract', 'multiply', 'divide'] as const);
      const value = rng.pick([2, 3, -1]);
      projectFields.push({ key: x.name, name: `${x.name}_${op}`, operator: op, value });
      proj[`${x.name}_${op}`] = { [`$${op}`]: [`$${x.name}`, value] };
    }
    if (projectFields.length > 0) {
      stages.push({ project: { fields: projectFields } });
      mongo.push({ $project: proj });
    }
  }
  if (rng.chance(0.1)) {
    stages.push({ count: { name: 'total' } });
    mongo.push({ $count: 'total' });
    ordered = true;
  }
  const sets = fields.filter((x) => x.operator === 'add_to_set').map((x) => x.name);
  return { query, mongo, ordered, sets };
}

interface GeneratedField {
  name: string;
  operator: string;
  key?: string;
  conditions?: Doc[];
  mongo: unknown;
}

function generateFields(rng: Rng, f: Family): GeneratedField[] {
  const out: GeneratedField[] = [];
  const n = rng.int(0, 4);
  for (let i = 0; i < n; i++) {
    const name = `f${i}`;
    const op = rng.pick([
      'count',
      'count_if',
      'sum',
      'average',
      'max',
      'min',
      'first',
      'last',
      'push',
      'add_to_set',
    ]);
    const text = rng.pick(f.text);
    const num = f.numeric.length > 0 ? rng.pick(f.numeric) : undefined;
    switch (op) {
      case 'count':
        out.push({ name, operator: 'count', mongo: { $sum: 1 } });
        break;
      case 'count_if':
        out.push({
          name,
          operator: 'count',
          conditions: [{ key: 'state', value: 'ENABLED', operator: 'not' }],
          mongo: { $sum: { $cond: [{ $ne: ['$state', 'ENABLED'] }, 1, 0] } },
        });
        break;
      case 'sum':
      case 'average':
        if (num === undefined) break;
        out.push({
          name,
          operator: op,
          key: num,
          mongo: { [op === 'sum' ? '$sum' : '$avg']: `$${num}` },
        });
        break;
      case 'max':
      case 'min':
      case 'first':
      case 'last': {
        const key = num !== undefined && rng.chance(0.5) && num === 'priority' ? num : text;
        out.push({ name, operator: op, key, mongo: { [`$${op}`]: `$${key}` } });
        break;
      }
      default:
        out.push({
          name,
          operator: op,
          key: text,
          mongo: { [op === 'push' ? '$push' : '$addToSet']: `$${text}` },
        });
    }
  }
  return out;
}

function distinct(docs: Doc[], key: string): unknown[] {
  const values = new Set<unknown>();
  for (const d of docs) {
    const v = getPath(d, key);
    for (const x of Array.isArray(v) ? v : [v]) if (x !== null && x !== undefined) values.add(x);
  }
  const rank = (v: unknown): number => (typeof v === 'number' || typeof v === 'boolean' ? 0 : 1);
  return [...values].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      Number(a) - Number(b) ||
      (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0),
  );
}

function matchesFilter(doc: Doc, filter: Doc[]): boolean {
  return filter.every((c) => {
    const v = getPath(doc, String(c['k']));
    switch (c['o']) {
      case 'not':
        return v !== c['v'];
      case 'gte':
        return typeof v === 'number' && v >= Number(c['v']);
      case 'contain':
        return typeof v === 'string' && v.toLowerCase().includes(String(c['v']).toLowerCase());
      case 'in':
        return (c['v'] as unknown[]).includes(v);
      case 'exists':
        return (v !== undefined) === c['v'];
      default:
        throw new Error(`no reference for ${String(c['o'])}`);
    }
  });
}

function canonical(row: unknown, sets: string[]): unknown {
  if (typeof row !== 'object' || row === null) return row;
  const out: Doc = {};
  for (const [k, v] of Object.entries(row as Doc).sort(([a], [b]) => (a < b ? -1 : 1))) {
    let value = typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v;
    if (sets.includes(k) && Array.isArray(value))
      value = [...(value as unknown[])].map(String).sort();
    out[k] = value === undefined ? null : value;
  }
  return out;
}

function getPath(doc: Doc, key: string): unknown {
  let v: unknown = doc;
  for (const part of key.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Doc)[part];
  }
  return v;
}
