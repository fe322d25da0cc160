import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidQueryError } from '../domain/errors.js';
import { supervisorResource, supervisorSource } from '../store/resources.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { compileStat } from './stat-compile.js';
import { parseStatQuery } from './stat-parse.js';
import { openTestStore, supervisorRow, type TestStore } from './test-store.js';

describe('stat queries on SQLite', () => {
  let t: TestStore;

  before(async () => {
    t = await openTestStore([
      supervisorRow({
        supervisor_id: 'sv-1',
        state: 'ENABLED',
        priority: 1,
        tags: '{"env":"prod","n":1}',
      }),
      supervisorRow({
        supervisor_id: 'sv-2',
        state: 'ENABLED',
        priority: 5,
        tags: '{"env":"dev","n":2}',
      }),
      supervisorRow({
        supervisor_id: 'sv-3',
        state: 'DISABLED',
        priority: 7,
        is_public: 1,
        tags: '{"n":"x"}',
      }),
      supervisorRow({ supervisor_id: 'sv-4', state: 'PENDING', domain_id: 'domain-b' }),
    ]);
  });
  after(async () => t.dispose());

  async function stat(query: unknown): Promise<{ results: unknown[]; total_count?: number }> {
    const compiled = compileStat(
      supervisorResource,
      supervisorSource('domain-a'),
      parseStatQuery(supervisorResource, query),
      sqliteDialect,
    );
    const results = (await t.run(compiled)).map((r) => compiled.mapRow(r));
    if (compiled.count === undefined) return { results };
    const [row] = await t.run(compiled.count);
    return { results, total_count: Number(row?.['total_count']) };
  }

  it('groups by state with a count, keys flattened into each row', async () => {
    const answer = await stat({
      aggregate: [
        {
          group: {
            keys: [{ key: 'state', name: 'state' }],
            fields: [{ name: 'n', operator: 'count' }],
          },
        },
      ],
    });
    assert.deepEqual(answer.results, [
      { state: 'DISABLED', n: 1 },
      { state: 'ENABLED', n: 2 },
    ]);
  });

  it('sums numbers only, pushes in order and sorts the groups', async () => {
    const answer = await stat({
      aggregate: [
        {
          group: {
            keys: [{ k: 'is_public', n: 'public' }],
            fields: [
              { n: 'total', o: 'sum', k: 'tags.n' },
              { n: 'ids', o: 'push', k: 'supervisor_id' },
              { n: 'top', o: 'max', k: 'priority' },
            ],
          },
        },
        { sort: { key: 'top', desc: true } },
      ],
    });
    assert.deepEqual(answer.results, [
      { public: true, total: 0, ids: ['sv-3'], top: 7 },
      { public: false, total: 3, ids: ['sv-1', 'sv-2'], top: 5 },
    ]);
  });

  it('counts with a field condition and pages with total_count', async () => {
    const answer = await stat({
      aggregate: [
        {
          group: {
            keys: [{ key: 'domain_id', name: 'domain' }],
            fields: [
              {
                name: 'enabled',
                operator: 'count',
                conditions: [{ k: 'state', v: 'ENABLED', o: 'eq' }],
              },
            ],
          },
        },
      ],
      page: { start: 1, limit: 1 },
    });
    assert.deepEqual(answer, { results: [{ domain: 'domain-a', enabled: 2 }], total_count: 1 });
  });

  it('answers distinct with the sorted plain values', async () => {
    assert.deepEqual((await stat({ distinct: 'tags.env' })).results, ['dev', 'prod']);
  });

  it('groups by a formatted date and merges objects, later keys winning', async () => {
    const answer = await stat({
      aggregate: [
        { sort: { key: 'priority' } },
        {
          group: {
            keys: [{ key: 'created_at', name: 'day', date_format: '%Y-%m' }],
            fields: [
              { name: 'tags', operator: 'merge_objects', key: 'tags' },
              { name: 'first', operator: 'first', key: 'supervisor_id' },
              { name: 'last', operator: 'last', key: 'supervisor_id' },
              { name: 'states', operator: 'add_to_set', key: 'state' },
            ],
          },
        },
      ],
    });
    assert.equal(answer.results.length, 1);
    const [row] = answer.results as Record<string, unknown>[];
    assert.deepEqual(row?.['tags'], { env: 'dev', n: 'x' });
    assert.equal(row?.['day'], '2026-01');
    assert.equal(row?.['first'], 'sv-1');
    assert.equal(row?.['last'], 'sv-3');
    assert.deepEqual([...(row?.['states'] as string[])].sort(), ['DISABLED', 'ENABLED']);
  });

  it('unwinds, pushes objects, projects with arithmetic and exclusion, skips and limits', async () => {
    const answer = await stat({
      aggregate: [
        {
          group: {
            keys: [{ key: 'state', name: 'state' }],
            fields: [
              { name: 'n', operator: 'count' },
              { name: 'p', operator: 'sum', key: 'priority' },
              {
                name: 'who',
                operator: 'push',
                fields: [
                  { key: 'supervisor_id', name: 'id' },
                  { key: 'is_public', name: 'pub' },
                ],
              },
            ],
          },
        },
        {
          project: {
            fields: [
              { key: 'state' },
              { key: 'who', name: 'size', operator: 'size' },
              { key: 'p', name: 'avg', operator: 'divide', value: 'n' },
              { key: 'who' },
            ],
          },
        },
        { unwind: { path: 'who' } },
        { project: { exclude_keys: ['avg'] } },
        { sort: { key: 'who.id', desc: true } },
        { skip: 1 },
        { limit: 5 },
      ],
    });
    assert.deepEqual(answer.results, [
      { state: 'ENABLED', size: 2, who: { id: 'sv-2', pub: false } },
      { state: 'ENABLED', size: 2, who: { id: 'sv-1', pub: false } },
    ]);
  });

  it('refuses a stage key that the previous stage does not output', () => {
    assert.throws(
      () =>
        parseStatQuery(supervisorResource, {
          aggregate: [
            { group: { keys: [{ key: 'state', name: 'state' }] } },
            { sort: { key: 'priority' } },
          ],
        }),
      (e: unknown) => e instanceof InvalidQueryError && e.key === 'priority',
    );
  });

  it('refuses a project that leaves no fields, and __proto__ as an output name', () => {
    assert.throws(
      () =>
        parseStatQuery(supervisorResource, {
          aggregate: [{ count: { name: 'n' } }, { project: { exclude_keys: ['n'] } }],
        }),
      (e: unknown) =>
        e instanceof InvalidQueryError &&
        e.key === 'query.aggregate[1].project' &&
        /no fields/.test(e.message),
    );
    assert.throws(
      () =>
        parseStatQuery(supervisorResource, {
          aggregate: [
            {
              group: {
                keys: [{ key: 'state', name: '__proto__' }],
                fields: [{ name: 'n', operator: 'count' }],
              },
            },
          ],
        }),
      (e: unknown) => e instanceof InvalidQueryError && /__proto__/.test(e.message),
    );
  });

  it('refuses stages too wide or with too many conditions for one SQL statement', () => {
    const wide = Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}`, operator: 'count' }));
    assert.throws(
      () => parseStatQuery(supervisorResource, { aggregate: [{ group: { fields: wide } }] }),
      (e: unknown) => e instanceof InvalidQueryError && /at most 256/.test(e.message),
    );
    const projected = Array.from({ length: 3000 }, (_, i) => ({ key: 'priority', name: `p${i}` }));
    assert.throws(
      () => parseStatQuery(supervisorResource, { aggregate: [{ project: { fields: projected } }] }),
      (e: unknown) => e instanceof InvalidQueryError && /at most 256/.test(e.message),
    );
    const conditions = Array(3000).fill({ k: 'state', v: 'ENABLED' });
    assert.throws(
      () =>
        parseStatQuery(supervisorResource, {
          aggregate: [{ group: { fields: [{ name: 'n', operator: 'count', conditions }] } }],
        }),
      (e: unknown) => e instanceof InvalidQueryError && /at most 100/.test(e.message),
    );
  });
});
