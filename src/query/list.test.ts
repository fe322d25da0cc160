import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidQueryError } from '../domain/errors.js';
import type { Clock } from '../domain/time.js';
import {
  installedPluginResource,
  installedPluginSource,
  supervisorResource,
  supervisorSource,
} from '../store/resources.js';
import { compileList } from './compile.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { parseListQuery } from './parse.js';
import { openTestStore, supervisorRow, type TestStore } from './test-store.js';

// Thursday 2026-06-04, 12:00 UTC; the ISO week began Monday 2026-06-01.
const NOW = Date.UTC(2026, 5, 4, 12);
const clock: Clock = { now: () => new Date(NOW) };
const at = (ms: number): string => new Date(NOW + ms).toISOString();

function refusal(key: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof InvalidQueryError, `expected InvalidQueryError, got ${String(e)}`);
    assert.equal(e.key, key);
    return true;
  };
}

describe('parsing a list query', () => {
  const parse = (q: unknown): unknown => parseListQuery(supervisorResource, q, { clock });
  const cases: [string, unknown, string][] = [
    ['an unknown operator', { filter: [{ k: 'name', v: 'a', o: 'like' }] }, 'name'],
    ['an unknown key', { filter: [{ k: 'colour', v: 'a' }] }, 'colour'],
    ['a column that is not queryable', { filter: [{ k: 'secret_hash', v: 'a' }] }, 'secret_hash'],
    ['a list for a single-value operator', { filter: [{ k: 'name', v: ['a'], o: 'eq' }] }, 'name'],
    ['a non-list for a list operator', { filter: [{ k: 'name', v: 'a', o: 'in' }] }, 'name'],
    ['a non-boolean for exists', { filter: [{ k: 'name', v: 'yes', o: 'exists' }] }, 'name'],
    ['a non-object for match', { filter: [{ k: 'tags.items', v: 'a', o: 'match' }] }, 'tags.items'],
    ['match on a plain column', { filter: [{ k: 'name', v: {}, o: 'match' }] }, 'name'],
    [
      'a bad ISO 8601 time',
      { filter: [{ k: 'created_at', v: '2026-13-45', o: 'datetime_gt' }] },
      'created_at',
    ],
    [
      'a bad timediff expression',
      { filter: [{ k: 'created_at', v: 'yesterday', o: 'timediff_gt' }] },
      'created_at',
    ],
    [
      'a timediff with a bad unit',
      { filter: [{ k: 'created_at', v: 'now-1y', o: 'timediff_gt' }] },
      'created_at',
    ],
    ['text for an integer key', { filter: [{ k: 'priority', v: 'abc' }] }, 'priority'],
    ['text for a boolean key', { filter: [{ k: 'is_public', v: 'true' }] }, 'is_public'],
    ['a number for a text key', { filter: [{ k: 'name', v: 5 }] }, 'name'],
    ['an invalid regular expression', { filter: [{ k: 'name', v: '(', o: 'regex' }] }, 'name'],
    [
      'an invalid pattern in regex_in',
      { filter: [{ k: 'name', v: ['a', '[z-a]'], o: 'regex_in' }] },
      'name',
    ],
    [
      'contain on an integer key',
      { filter: [{ k: 'priority', v: '1', o: 'contain' }] },
      'priority',
    ],
    ['a lone surrogate in text', { filter: [{ k: 'name', v: '\ud83d', o: 'contain' }] }, 'name'],
    ['an unknown sort key', { sort: { key: 'colour' } }, 'colour'],
    ['an unknown only key', { only: ['secret_hash'] }, 'secret_hash'],
    ['a page larger than the maximum', { page: { limit: 10_001 } }, 'query.page.limit'],
    ['a negative page start', { page: { start: -1 } }, 'query.page.start'],
  ];
  for (const [what, query, key] of cases) {
    it(`refuses ${what}, naming ${key}`, () => {
      assert.throws(() => parse(query), refusal(key));
    });
  }

  it('accepts both the k/v/o and the key/value/operator spelling alike', () => {
    const short = parseListQuery(supervisorResource, {
      filter: [{ k: 'name', v: 'a', o: 'contain' }],
    });
    const long = parseListQuery(supervisorResource, {
      filter: [{ key: 'name', value: 'a', operator: 'contain' }],
    });
    assert.deepEqual(short, long);
  });
});

describe('list queries on SQLite, operator by operator', () => {
  let t: TestStore;

  before(async () => {
    t = await openTestStore([
      supervisorRow({
        supervisor_id: 'sv-1',
        name: 'Überwachung',
        hostname: 'node-1',
        tags: JSON.stringify({ env: 'prod', items: [{ name: 'a', size: 1 }, 'loose'] }),
        created_at: at(-3_600_000),
      }),
      supervisorRow({
        supervisor_id: 'sv-2',
        name: 'straße',
        hostname: 'node-2',
        priority: 3,
        tags: JSON.stringify({ env: null, items: [{ name: 'b' }] }),
        created_at: at(-(12 * 3_600_000 + 1)),
      }),
      supervisorRow({
        supervisor_id: 'sv-3',
        name: '🚀 launch',
        hostname: 'node-3',
        is_public: 1,
        priority: 7,
        created_at: at(-4 * 86_400_000),
      }),
      supervisorRow({ supervisor_id: 'sv-9', domain_id: 'domain-b', name: 'other domain' }),
    ]);
    await t.store.db
      .insertInto('installed_plugins')
      .values({
        supervisor_id: 'sv-1',
        plugin_id: 'plugin-aws',
        version: '1.0',
        state: 'ACTIVE',
        endpoint: 'grpc://a:1',
        endpoints: '["grpc://a:1","grpc://b:1"]',
        managed: 1,
        domain_id: 'domain-a',
        error_message: '',
        rr_counter: 0,
        created_at: at(0),
        updated_at: at(0),
        endpoint_called_at: null,
      })
      .execute();
  });
  after(async () => t.dispose());

  async function ids(query: unknown): Promise<string[]> {
    const q = parseListQuery(supervisorResource, query, { clock });
    const compiled = compileList(
      supervisorResource,
      supervisorSource('domain-a'),
      q,
      sqliteDialect,
    );
    return (await t.run(compiled.select)).map((r) => String(r['supervisor_id']));
  }
  const where = (k: string, o: string, v: unknown): Promise<string[]> =>
    ids({ filter: [{ k, o, v }] });

  it('in with an empty list matches nothing, not_in with an empty list matches everything', async () => {
    assert.deepEqual(await where('name', 'in', []), []);
    assert.deepEqual(await where('name', 'not_in', []), ['sv-1', 'sv-2', 'sv-3']);
  });

  it('eq null matches a null or missing key; exists false only a missing one', async () => {
    assert.deepEqual(await where('tags.env', 'eq', null), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('tags.env', 'exists', false), ['sv-3']);
    assert.deepEqual(await where('tags.env', 'exists', true), ['sv-1', 'sv-2']);
  });

  it('negations also match rows where the key is missing', async () => {
    assert.deepEqual(await where('tags.env', 'not', 'prod'), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('tags.env', 'not_in', ['prod']), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('tags.env', 'not_contain', 'PR'), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('tags.env', 'not_contain_in', ['x', 'od']), ['sv-2', 'sv-3']);
  });

  it('is case-insensitive across Unicode for contain and regex', async () => {
    assert.deepEqual(await where('name', 'contain', 'ÜBER'), ['sv-1']);
    assert.deepEqual(await where('name', 'contain_in', ['STRASSE', 'STRAßE']), ['sv-2']);
    assert.deepEqual(await where('name', 'regex', '^über'), ['sv-1']);
    assert.deepEqual(await where('name', 'regex_in', ['^🚀', 'x^']), ['sv-3']);
  });

  it('compares integers and booleans as such', async () => {
    assert.deepEqual(await where('priority', 'gt', 5), ['sv-1', 'sv-3']);
    assert.deepEqual(await where('priority', 'in', [3, 7]), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('priority', 'lte', 3), ['sv-2']);
    assert.deepEqual(await where('is_public', 'eq', true), ['sv-3']);
  });

  it('matches an element of a list of objects with match', async () => {
    assert.deepEqual(await where('tags.items', 'match', { name: 'a', size: 1 }), ['sv-1']);
    assert.deepEqual(await where('tags.items', 'match', { name: 'b' }), ['sv-2']);
    assert.deepEqual(await where('tags.items', 'match', { size: 2 }), []);
  });

  it('evaluates timediff at the boundaries against the injected clock', async () => {
    assert.deepEqual(await where('created_at', 'timediff_gte', 'now-1h'), ['sv-1']);
    assert.deepEqual(await where('created_at', 'timediff_gt', 'now-1h'), []);
    assert.deepEqual(await where('created_at', 'timediff_gte', 'now/d'), ['sv-1']);
    assert.deepEqual(await where('created_at', 'timediff_lt', 'now/d'), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('created_at', 'timediff_gte', 'now/w'), ['sv-1', 'sv-2']);
    assert.deepEqual(await where('created_at', 'timediff_lt', 'now - 3d'), ['sv-3']);
  });

  it('includes the row whose returned created_at is given to datetime_lte', async () => {
    const created = at(-3_600_000);
    assert.deepEqual(await where('created_at', 'datetime_lte', created), ['sv-1', 'sv-2', 'sv-3']);
    assert.deepEqual(await where('created_at', 'datetime_lt', created), ['sv-2', 'sv-3']);
    assert.deepEqual(await where('created_at', 'eq', created.replace('Z', '+00:00')), ['sv-1']);
  });

  it('ANDs filter with the OR-ed filter_or group, and ORs keyword words over keyword fields', async () => {
    const q = {
      filter: [{ k: 'priority', v: 1, o: 'gte' }],
      filter_or: [
        { k: 'name', v: 'straße' },
        { k: 'is_public', v: true },
      ],
    };
    assert.deepEqual(await ids(q), ['sv-2', 'sv-3']);
    assert.deepEqual(await ids({ keyword: 'NODE-1 launch' }), ['sv-1', 'sv-3']);
  });

  it('sorts by several keys with the id as the tiebreak, pages from a 1-based row and counts every match', async () => {
    const query = parseListQuery(supervisorResource, {
      sort: { keys: [{ key: 'is_public', desc: true }, { key: 'priority' }] },
      page: { start: 2, limit: 2 },
    });
    const compiled = compileList(
      supervisorResource,
      supervisorSource('domain-a'),
      query,
      sqliteDialect,
    );
    assert.deepEqual(
      (await t.run(compiled.select)).map((r) => r['supervisor_id']),
      ['sv-2', 'sv-1'],
    );
    assert.deepEqual(await t.run(compiled.count), [{ total_count: 3 }]);
  });

  it('returns no rows but the count for count_only, and only the asked fields for only and minimal', async () => {
    const run = async (q: unknown): Promise<Record<string, unknown>[]> => {
      const compiled = compileList(
        supervisorResource,
        supervisorSource('domain-a'),
        parseListQuery(supervisorResource, q),
        sqliteDialect,
      );
      return t.run(compiled.select);
    };
    assert.deepEqual(await run({ count_only: true }), []);
    const only = await run({
      only: ['name', 'tags.env'],
      filter: [{ k: 'supervisor_id', v: 'sv-3' }],
    });
    assert.deepEqual(only, [{ name: '🚀 launch', tags: '{}' }]);
    const minimal = await run({ minimal: true, page: { limit: 1 } });
    assert.deepEqual(
      Object.keys(minimal[0] ?? {}).sort(),
      [...supervisorResource.minimalFields].sort(),
    );
  });

  it('reads hostname on installed plugins as the supervisor hostname, and tests list elements', async () => {
    const run = async (q: unknown): Promise<unknown[]> => {
      const parsed = parseListQuery(installedPluginResource, q);
      const compiled = compileList(
        installedPluginResource,
        installedPluginSource('domain-a'),
        parsed,
        sqliteDialect,
      );
      return (await t.run(compiled.select)).map((r) => r['plugin_id']);
    };
    assert.deepEqual(await run({ filter: [{ k: 'hostname', v: 'node-1' }] }), ['plugin-aws']);
    assert.deepEqual(await run({ filter: [{ k: 'endpoints', v: 'grpc://b:1' }] }), ['plugin-aws']);
    assert.deepEqual(await run({ filter: [{ k: 'endpoints', v: 'B:1', o: 'contain' }] }), [
      'plugin-aws',
    ]);
    assert.deepEqual(await run({ filter: [{ k: 'endpoints', v: 'grpc://b:1', o: 'not' }] }), []);
    assert.deepEqual(await run({ filter: [{ k: 'endpoint_called_at', v: false, o: 'exists' }] }), [
      'plugin-aws',
    ]);
  });
});

describe('case-insensitive contain equals JavaScript toLowerCase on SQLite', () => {
  let t: TestStore;
  const names = ['İstanbul', '5 \u212Aelvin', 'Kiosk', 'naïve', 'plain ascii', '100%_done'];

  before(async () => {
    t = await openTestStore(
      names.map((name, i) => supervisorRow({ supervisor_id: `sv-${i}`, name })),
    );
  });
  after(async () => t.dispose());

  for (const needle of ['i', 'k', 'K', 'İ', 'STAN', 'ï', 'ASCII', '%', '_', '%_', 'x']) {
    it(`finds exactly the names whose lower case contains ${JSON.stringify(needle)}`, async () => {
      const q = parseListQuery(supervisorResource, {
        filter: [{ k: 'name', v: needle, o: 'contain' }],
      });
      const compiled = compileList(
        supervisorResource,
        supervisorSource('domain-a'),
        q,
        sqliteDialect,
      );
      const got = (await t.run(compiled.select)).map((r) => r['name']);
      const expected = names.filter((n) => n.toLowerCase().includes(needle.toLowerCase()));
      assert.deepEqual(got, expected);
    });
  }
});
