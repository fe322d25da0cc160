import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { find } from 'mingo';
import type { Clock } from '../domain/time.js';
import {
  installedPluginResource,
  installedPluginSource,
  supervisorResource,
  supervisorSource,
} from '../store/resources.js';
import type { ResourceSchema } from './ast.js';
import { compileList } from './compile.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { parseListQuery } from './parse.js';
import type { SqlFragment } from './sql.js';
import { generateDataset, pluginDocs, Rng, supervisorDocs, TIME_BASE, WORDS } from './test-data.js';
import { openTestStore, type TestStore } from './test-store.js';

/*
 * Differential test: generated data and generated queries, answered by the SQL compiler on a real
 * SQLite file and by mingo (MongoDB's query language in memory) through a translation written
 * here, independently of the compiler. Set PLUGVISOR_QUERY_SEED to replay one seed.
 */

const SEEDS = process.env['PLUGVISOR_QUERY_SEED']
  ? [Number(process.env['PLUGVISOR_QUERY_SEED'])]
  : [1, 2, 3];
const CASES_PER_SEED = 800;
const CLOCK_MS = TIME_BASE + 90 * 60_000;
const clock: Clock = { now: () => new Date(CLOCK_MS) };

type Doc = Record<string, unknown>;
type KeyType = 'string' | 'integer' | 'boolean' | 'datetime' | 'list' | 'json' | 'items';
interface KeySpec {
  key: string;
  type: KeyType;
}

const SUPERVISOR_KEYS: KeySpec[] = [
  { key: 'supervisor_id', type: 'string' },
  { key: 'name', type: 'string' },
  { key: 'hostname', type: 'string' },
  { key: 'state', type: 'string' },
  { key: 'is_public', type: 'boolean' },
  { key: 'priority', type: 'integer' },
  { key: 'created_at', type: 'datetime' },
  { key: 'updated_at', type: 'datetime' },
  { key: 'tags.env', type: 'json' },
  { key: 'tags.n', type: 'json' },
  { key: 'tags.flag', type: 'json' },
  { key: 'tags.deep.x', type: 'json' },
  { key: 'labels.region', type: 'json' },
  { key: 'labels.tier', type: 'json' },
  { key: 'tags.items', type: 'items' },
];

const PLUGIN_KEYS: KeySpec[] = [
  { key: 'plugin_id', type: 'string' },
  { key: 'version', type: 'string' },
  { key: 'state', type: 'string' },
  { key: 'endpoint', type: 'string' },
  { key: 'endpoints', type: 'list' },
  { key: 'supervisor_id', type: 'string' },
  { key: 'supervisor_name', type: 'string' },
  { key: 'hostname', type: 'string' },
  { key: 'managed', type: 'boolean' },
  { key: 'created_at', type: 'datetime' },
  { key: 'endpoint_called_at', type: 'datetime' },
];

const SUPERVISOR_SORT = [
  'name',
  'priority',
  'state',
  'created_at',
  'tags.env',
  'tags.n',
  'hostname',
  'is_public',
  'labels.region',
];
const PLUGIN_SORT = [
  'plugin_id',
  'version',
  'state',
  'endpoint',
  'managed',
  'endpoint_called_at',
  'hostname',
  'supervisor_name',
];

const OPERATORS: Record<KeyType, string[]> = {
  string: [
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
  ],
  integer: ['eq', 'not', 'lt', 'lte', 'gt', 'gte', 'exists', 'in', 'not_in'],
  boolean: ['eq', 'not', 'in', 'not_in', 'exists'],
  datetime: [
    'eq',
    'not',
    'lt',
    'gte',
    'in',
    'not_in',
    'exists',
    'contain',
    'regex',
    'datetime_gt',
    'datetime_lt',
    'datetime_gte',
    'datetime_lte',
    'timediff_gt',
    'timediff_lt',
    'timediff_gte',
    'timediff_lte',
  ],
  list: [
    'eq',
    'not',
    'lt',
    'gt',
    'exists',
    'contain',
    'not_contain',
    'in',
    'not_in',
    'contain_in',
    'not_contain_in',
    'regex',
    'regex_in',
  ],
  json: [
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
  ],
  items: ['match', 'exists'],
};

const PATTERNS = [
  '^a',
  'b',
  'ü',
  'rocket$',
  '^$',
  '\\d',
  'o.b',
  '[ÜU]',
  'host-1',
  '^grpc://10',
  'é',
  'ß',
];

describe('list queries agree with an in-memory MongoDB evaluator (mingo)', () => {
  for (const seed of SEEDS) {
    describe(`seed ${seed}`, () => {
      const rng = new Rng(seed);
      const data = generateDataset(rng, 90, 260);
      let t: TestStore;

      before(async () => {
        t = await openTestStore(data.supervisors, data.plugins);
      });
      after(async () => t.dispose());

      it(`answers ${CASES_PER_SEED} generated supervisor queries like mingo`, async () => {
        const docs = supervisorDocs(data);
        await runCases(
          seed,
          rng,
          docs,
          SUPERVISOR_KEYS,
          SUPERVISOR_SORT,
          supervisorResource,
          supervisorSource('domain-a'),
          ['supervisor_id'],
          (f) => t.run(f),
        );
      });

      it(`answers ${CASES_PER_SEED / 2} generated installed-plugin queries like mingo`, async () => {
        const docs = pluginDocs(data);
        await runCases(
          seed,
          rng,
          docs,
          PLUGIN_KEYS,
          PLUGIN_SORT,
          installedPluginResource,
          installedPluginSource('domain-a'),
          ['supervisor_id', 'plugin_id', 'version'],
          (f) => t.run(f),
          CASES_PER_SEED / 2,
        );
      });
    });
  }
});

async function runCases(
  seed: number,
  rng: Rng,
  docs: Doc[],
  keys: KeySpec[],
  sortKeys: string[],
  schema: ResourceSchema,
  source: SqlFragment,
  idKeys: string[],
  run: (f: SqlFragment) => Promise<Record<string, unknown>[]>,
  cases = CASES_PER_SEED,
): Promise<void> {
  const idOf = (d: Record<string, unknown>): string => idKeys.map((k) => String(d[k])).join('/');
  let matched = 0;
  for (let i = 0; i < cases; i++) {
    const query = generateQuery(rng, docs, keys, sortKeys);
    const context = `seed ${seed}, case ${i}: ${JSON.stringify(query)}`;

    const compiled = compileList(
      schema,
      source,
      parseListQuery(schema, query, { clock }),
      sqliteDialect,
    );
    const rows = await run(compiled.select);
    const [countRow] = await run(compiled.count);

    const expected = evaluate(docs, query, idKeys);
    assert.deepEqual(rows.map(idOf), expected.ids, `rows differ (${context})`);
    assert.equal(
      Number(countRow?.['total_count']),
      expected.total,
      `total_count differs (${context})`,
    );
    if (expected.total > 0) matched++;
  }
  assert.ok(
    matched > cases / 4,
    `too few generated queries match anything (${matched} of ${cases})`,
  );
}

function generateQuery(rng: Rng, docs: Doc[], keys: KeySpec[], sortKeys: string[]): Doc {
  const query: Doc = {};
  const filter = Array.from({ length: rng.int(0, 3) }, () => generateCondition(rng, docs, keys));
  if (filter.length > 0) query['filter'] = filter;
  if (rng.chance(0.3))
    query['filter_or'] = Array.from({ length: rng.int(1, 3) }, () =>
      generateCondition(rng, docs, keys),
    );
  if (rng.chance(0.15))
    query['keyword'] = rng
      .some(['alpha', 'ü', 'STRASSE', 'host-1', 'aws', 'sv-00', '🚀', 'É'], 2)
      .join(' ');
  if (rng.chance(0.6)) {
    const sort = Array.from({ length: rng.int(1, 3) }, () => ({
      key: rng.pick(sortKeys),
      desc: rng.chance(0.5),
    }));
    query['sort'] = rng.chance(0.5) ? { keys: sort } : sort[0];
  }
  if (rng.chance(0.5)) query['page'] = { start: rng.int(1, 4), limit: rng.int(0, 12) };
  if (rng.chance(0.05)) query['count_only'] = true;
  return query;
}

function generateCondition(rng: Rng, docs: Doc[], keys: KeySpec[]): Doc {
  const spec = rng.pick(keys);
  const operator = rng.pick(OPERATORS[spec.type]);
  const spelling = rng.chance(0.5);
  const value = generateValue(rng, docs, spec, operator);
  return spelling ? { key: spec.key, value, operator } : { k: spec.key, v: value, o: operator };
}

function generateValue(rng: Rng, docs: Doc[], spec: KeySpec, operator: string): unknown {
  const sample = (): unknown => scalarSample(rng, docs, spec, operator);
  if (operator === 'exists') return rng.chance(0.5);
  if (operator === 'match')
    return rng.pick([{ name: 'a' }, { name: 'Ü', size: 2 }, { size: 1 }, {}, { name: null }]);
  if (operator.startsWith('timediff_'))
    return rng.pick(['now', 'now-1h', 'now - 30m', 'now-2d', 'now+1d', 'now-90s', 'now-1w']);
  if (operator.startsWith('datetime_')) return rng.pick(docs.map((d) => d['created_at'] as string));
  if (operator === 'regex') return rng.pick(PATTERNS);
  if (operator === 'regex_in') return rng.some(PATTERNS, 3);
  if (operator.includes('contain')) {
    const text = (): string => {
      const s = Array.from(String(rng.pick([...WORDS, 'host', '2026-06-01', 'grpc://10', 'AWS'])));
      const a = rng.int(0, s.length);
      return s.slice(a, a + rng.int(1, 4)).join('');
    };
    return operator.endsWith('_in') ? Array.from({ length: rng.int(0, 3) }, text) : text();
  }
  if (operator === 'in' || operator === 'not_in') {
    return Array.from({ length: rng.int(0, 3) }, sample).filter(
      (v) => spec.type !== 'datetime' || v !== null || operator.endsWith('in'),
    );
  }
  return sample();
}

function scalarSample(rng: Rng, docs: Doc[], spec: KeySpec, operator: string): unknown {
  const ordered = ['lt', 'lte', 'gt', 'gte'].includes(operator);
  const nullable = !ordered && rng.chance(0.1);
  if (nullable) return null;
  const present = docs
    .map((d) => getPath(d, spec.key))
    .filter((v) => v !== undefined && v !== null);
  const flat = present.flatMap((v) => (Array.isArray(v) ? v : [v]));
  switch (spec.type) {
    case 'integer':
      return rng.int(-1, 13);
    case 'boolean':
      return rng.chance(0.5);
    case 'json': {
      const candidates = flat.filter((v) => !(ordered && typeof v === 'boolean'));
      if (candidates.length === 0 || rng.chance(0.2))
        return rng.pick(ordered ? [3, 'm', 'prod'] : [3, 'prod', true, false]);
      return rng.pick(candidates);
    }
    case 'datetime':
      return rng.pick(flat.length > 0 ? flat : ['2026-06-01T00:00:00.000Z']);
    default:
      return flat.length === 0 || rng.chance(0.15)
        ? rng.pick(['m', 'zzz', 'ACTIVE', ''])
        : rng.pick(flat);
  }
}

/** The same query, translated to MongoDB's language and answered by mingo. */
function evaluate(docs: Doc[], query: Doc, idKeys: string[]): { ids: string[]; total: number } {
  const and: Doc[] = ((query['filter'] as Doc[] | undefined) ?? []).map(toMongo);
  const ors = (query['filter_or'] as Doc[] | undefined) ?? [];
  if (ors.length > 0) and.push({ $or: ors.map(toMongo) });
  const keyword =
    typeof query['keyword'] === 'string'
      ? query['keyword'].split(/\s+/).filter((w) => w !== '')
      : [];
  if (keyword.length > 0) {
    const fields =
      idKeys.length === 1
        ? ['supervisor_id', 'name', 'hostname']
        : ['supervisor_id', 'hostname', 'plugin_id'];
    and.push({
      $or: keyword.flatMap((w) =>
        fields.map((f) => ({ [f]: { $regex: escapeRegex(w), $options: 'i' } })),
      ),
    });
  }
  const mongo = and.length > 0 ? { $and: and } : {};
  const total = find(docs, mongo).all().length;

  const sort: Record<string, 1 | -1> = {};
  const s = query['sort'] as Doc | undefined;
  const sortKeys = (s?.['keys'] as Doc[] | undefined) ?? (s === undefined ? [] : [s]);
  for (const k of sortKeys)
    if (!(String(k['key']) in sort)) sort[String(k['key'])] = k['desc'] === true ? -1 : 1;
  for (const k of idKeys) if (!(k in sort)) sort[k] = 1;
  let cursor = find(docs, mongo).sort(sort);
  const page = query['page'] as { start: number; limit: number } | undefined;
  if (query['count_only'] === true) return { ids: [], total };
  if (page !== undefined && page.limit > 0) cursor = cursor.skip(page.start - 1).limit(page.limit);
  const ids = (cursor.all() as Doc[]).map((d) => idKeys.map((k) => String(d[k])).join('/'));
  return { ids, total };
}

function toMongo(c: Doc): Doc {
  const key = String(c['key'] ?? c['k']);
  const op = String(c['operator'] ?? c['o']);
  const v = 'value' in c ? c['value'] : c['v'];
  const regex = (p: unknown): Doc => ({ $regex: p, $options: 'i' });
  const contains = (s: unknown): Doc => regex(escapeRegex(String(s)));
  const never = { __never__: { $exists: true } };
  const list = v as unknown[];
  switch (op) {
    case 'eq':
      return { [key]: v };
    case 'not':
      return { [key]: { $ne: v } };
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return { [key]: { [`$${op}`]: v } };
    case 'exists':
      return { [key]: { $exists: v } };
    case 'contain':
      return { [key]: contains(v) };
    case 'not_contain':
      return { [key]: { $not: contains(v) } };
    case 'in':
      return { [key]: { $in: v } };
    case 'not_in':
      return { [key]: { $nin: v } };
    case 'contain_in':
      return list.length === 0 ? never : { $or: list.map((s) => ({ [key]: contains(s) })) };
    case 'not_contain_in':
      return list.length === 0 ? {} : { $nor: list.map((s) => ({ [key]: contains(s) })) };
    case 'regex':
      return { [key]: regex(v) };
    case 'regex_in':
      return list.length === 0 ? never : { $or: list.map((p) => ({ [key]: regex(p) })) };
    case 'match':
      return { [key]: { $elemMatch: v } };
    default: {
      const [kind, cmp] = op.split('_') as [string, string];
      const iso = kind === 'timediff' ? timediff(String(v)) : new Date(String(v)).toISOString();
      return { [key]: { [`$${cmp}`]: iso } };
    }
  }
}

/** The test's own reading of `now ± N unit` against the fixed clock. */
function timediff(text: string): string {
  const m = /^now\s*(?:([+-])\s*(\d+)\s*([smhdw]))?$/.exec(text);
  assert.ok(m !== null, `unexpected timediff ${text}`);
  const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[(m[3] ?? 's') as 's'];
  const delta = m[1] === undefined ? 0 : Number(m[2]) * unit * (m[1] === '-' ? -1 : 1);
  return new Date(CLOCK_MS + delta).toISOString();
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function getPath(doc: Doc, key: string): unknown {
  let v: unknown = doc;
  for (const part of key.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Doc)[part];
  }
  return v;
}
