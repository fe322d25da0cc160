import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidQueryError } from '../domain/errors.js';
import { supervisorResource, supervisorSource } from '../store/resources.js';
import { compileList } from './compile.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { parseListQuery } from './parse.js';
import { compileStat } from './stat-compile.js';
import { parseStatQuery } from './stat-parse.js';
import { openTestStore, supervisorRow, type TestStore } from './test-store.js';

const HOSTILE_KEYS = [
  `name"; DROP TABLE supervisors; --`,
  `name' OR 1=1 --`,
  'supervisor_id OR 1=1',
  `tags.a"].b`,
  `tags.a") OR 1=1 --`,
  'tags.$',
  'tags.$.x',
  'labels.*',
  'tags.a[0]',
  'tags.a\\"b',
  "tags.a'b",
  'tags.',
  'tags..x',
  'tags',
  '(SELECT 1)',
  'name;',
];

const HOSTILE_VALUES = [
  `' OR 1=1 --`,
  `"; DROP TABLE supervisors; --`,
  `') OR ('1'='1`,
  `x' UNION SELECT secret_hash FROM supervisors --`,
  '%',
  '_',
  '\\',
  '$.env',
  '*/ 1; /*',
];

describe('hostile keys and values change nothing', () => {
  let t: TestStore;
  let snapshot: unknown;

  const state = async (): Promise<unknown> => ({
    rows: await t.run({ sql: 'SELECT * FROM supervisors ORDER BY supervisor_id', params: [] }),
    schema: await t.run({ sql: 'SELECT sql FROM sqlite_master ORDER BY name', params: [] }),
  });

  before(async () => {
    t = await openTestStore([
      supervisorRow({
        supervisor_id: 'sv-1',
        name: 'alpha',
        tags: '{"env":"prod","a":{"b":1}}',
        secret_hash: 'hash',
      }),
      supervisorRow({ supervisor_id: 'sv-2', name: 'beta', tags: '{"env":"dev"}' }),
    ]);
    snapshot = await state();
  });
  after(async () => {
    assert.deepEqual(await state(), snapshot, 'the table changed');
    await t.dispose();
  });

  async function list(query: unknown): Promise<unknown[] | 'refused'> {
    let parsed;
    try {
      parsed = parseListQuery(supervisorResource, query);
    } catch (e) {
      assert.ok(e instanceof InvalidQueryError, `not an InvalidQueryError: ${String(e)}`);
      return 'refused';
    }
    const compiled = compileList(
      supervisorResource,
      supervisorSource('domain-a'),
      parsed,
      sqliteDialect,
    );
    const rows = await t.run(compiled.select);
    return rows.map((r) => r['supervisor_id']);
  }

  for (const key of HOSTILE_KEYS) {
    it(`refuses or finds nothing for the key ${JSON.stringify(key)}`, async () => {
      for (const operator of ['eq', 'contain', 'exists', 'not']) {
        const value = operator === 'exists' ? true : operator === 'not' ? 'never-there' : 'x';
        const answer = await list({ filter: [{ k: key, v: value, o: operator }] });
        if (operator === 'not' && answer !== 'refused') {
          // A negation of a value no row has matches every row: the key was read, not executed.
          assert.deepEqual(answer, ['sv-1', 'sv-2']);
        } else {
          assert.ok(
            answer === 'refused' || (answer as unknown[]).length === 0,
            `${operator}: ${JSON.stringify(answer)}`,
          );
        }
      }
      assert.equal(await list({ sort: { key } }), 'refused');
      // `only: ['tags']` is legitimate (the whole tags field); every other hostile key is refused.
      if (key !== 'tags') assert.equal(await list({ only: [key] }), 'refused');
    });
  }

  for (const value of HOSTILE_VALUES) {
    it(`finds no rows for the value ${JSON.stringify(value)}`, async () => {
      for (const [k, o] of [
        ['name', 'eq'],
        ['name', 'contain'],
        ['tags.env', 'eq'],
        ['tags.env', 'contain'],
        ['name', 'lt'],
      ] as const) {
        const answer = await list({ filter: [{ k, v: value, o }] });
        // lt compares the hostile text as plain text (code-point order), nothing more.
        const below = [
          ['sv-1', 'alpha'],
          ['sv-2', 'beta'],
        ].filter(([, name]) => (name as string) < value);
        assert.deepEqual(answer, o === 'lt' ? below.map(([id]) => id) : [], `${k} ${o}`);
      }
      assert.deepEqual(await list({ filter: [{ k: 'name', v: [value], o: 'in' }] }), []);
      assert.deepEqual(await list({ keyword: value }), []);
    });
  }

  it('keeps hostile names in stat results as data, and refuses hostile stat keys', async () => {
    const name = `x"; DROP TABLE supervisors; --`;
    const query = parseStatQuery(supervisorResource, {
      aggregate: [
        {
          group: {
            keys: [{ key: 'state', name }],
            fields: [{ name: `n') --`, operator: 'count' }],
          },
        },
      ],
    });
    const compiled = compileStat(
      supervisorResource,
      supervisorSource('domain-a'),
      query,
      sqliteDialect,
    );
    const rows = (await t.run(compiled)).map((r) => compiled.mapRow(r));
    assert.deepEqual(rows, [{ [name]: 'ENABLED', [`n') --`]: 2 }]);
    assert.ok(!compiled.sql.includes('DROP'));

    for (const key of HOSTILE_KEYS.filter(
      (k) => !k.startsWith('tags.') || /["'$*[\]\\]|\.\./.test(k) || k === 'tags.',
    )) {
      if (key === 'tags') continue;
      assert.throws(
        () =>
          parseStatQuery(supervisorResource, {
            aggregate: [{ group: { keys: [{ key, name: 'k' }] } }],
          }),
        InvalidQueryError,
        key,
      );
      assert.throws(
        () => parseStatQuery(supervisorResource, { distinct: key }),
        InvalidQueryError,
        key,
      );
    }
  });
});
