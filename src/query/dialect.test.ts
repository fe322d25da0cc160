import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { supervisorResource } from '../store/resources.js';
import { compileList } from './compile.js';
import type { SqlDialect } from './dialect/dialect.js';
import { postgresDialect } from './dialect/postgres.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { parseListQuery } from './parse.js';
import type { SqlFragment } from './sql.js';
import { compileStat } from './stat-compile.js';
import { parseStatQuery } from './stat-parse.js';
import { openTestStore, supervisorRow, type TestStore } from './test-store.js';

const SOURCE = { sql: 'supervisors', params: [] };

interface Case {
  name: string;
  compile: (d: SqlDialect) => SqlFragment;
  sqlite: SqlFragment;
  postgres: SqlFragment;
  /** supervisor_id (or the stat rows) the SQLite statement returns on the fixture. */
  rows: unknown[];
}

const listOf =
  (query: unknown) =>
  (d: SqlDialect): SqlFragment =>
    compileList(supervisorResource, SOURCE, parseListQuery(supervisorResource, query), d).select;

const CASES: Case[] = [
  {
    name: 'an equality, a negation on a JSON path, a sort and a page',
    compile: listOf({
      filter: [
        { k: 'state', v: 'ENABLED' },
        { k: 'tags.env', v: 'prod', o: 'not' },
      ],
      sort: { key: 'priority', desc: true },
      page: { start: 1, limit: 10 },
    }),
    sqlite: {
      sql: `SELECT * FROM supervisors WHERE ((state = ?) AND ((NOT COALESCE(((json_type(tags, ?) IN ('text') AND json_extract(tags, ?) = ?)), 1 = 0)))) ORDER BY priority DESC, supervisor_id ASC LIMIT ? OFFSET ?`,
      params: ['ENABLED', '$."env"', '$."env"', 'prod', 10, 0],
    },
    postgres: {
      sql: `SELECT * FROM supervisors WHERE ((state = $1) AND ((NOT COALESCE((((jsonb_typeof((tags #> $2::text[])) = 'string') AND (tags #>> $3::text[]) = $4)), 1 = 0)))) ORDER BY priority DESC NULLS LAST, supervisor_id ASC NULLS FIRST LIMIT $5 OFFSET $6`,
      params: ['ENABLED', ['env'], ['env'], 'prod', 10, 0],
    },
    rows: ['sv-2'],
  },
  {
    name: 'case-insensitive contain, a typed in over a JSON path, and a regex',
    compile: listOf({
      filter: [
        { k: 'name', v: 'ÜBER', o: 'contain' },
        { k: 'labels.region', v: ['eu', 3], o: 'in' },
        { k: 'name', v: 'ung$', o: 'regex' },
      ],
    }),
    sqlite: {
      sql: `SELECT * FROM supervisors WHERE ((((octet_length(name) <> length(name) AND instr(pv_lower(name), ?) > 0))) AND ((((json_type(labels, ?) IN ('text') AND json_extract(labels, ?) = ?)) OR ((json_type(labels, ?) IN ('integer', 'real') AND json_extract(labels, ?) = ?)))) AND (pv_regexp(?, name, 'iu'))) ORDER BY supervisor_id ASC`,
      params: ['über', '$."region"', '$."region"', 'eu', '$."region"', '$."region"', 3, 'ung$'],
    },
    postgres: {
      sql: `SELECT * FROM supervisors WHERE ((strpos(lower(name::text), $1) > 0) AND (((((jsonb_typeof((labels #> $2::text[])) = 'string') AND (labels #>> $3::text[]) = $4)) OR (((jsonb_typeof((labels #> $5::text[])) = 'number') AND (labels #>> $6::text[])::numeric = $7)))) AND ((name::text ~* $8))) ORDER BY supervisor_id ASC NULLS FIRST`,
      params: ['über', ['region'], ['region'], 'eu', ['region'], ['region'], 3, 'ung$'],
    },
    rows: ['sv-1', 'sv-2'],
  },
  {
    name: 'a stat grouping by state with a count, sorted by the count',
    compile: (d) => {
      const q = parseStatQuery(supervisorResource, {
        aggregate: [
          {
            group: {
              keys: [{ key: 'state', name: 'state' }],
              fields: [{ name: 'n', operator: 'count' }],
            },
          },
          { sort: { key: 'n', desc: true } },
        ],
      });
      return compileStat(supervisorResource, SOURCE, q, d);
    },
    sqlite: {
      sql: 'WITH s0 AS (SELECT * FROM supervisors WHERE (1 = 1)), s1 AS (SELECT state AS c0, count(*) AS c1 FROM s0 GROUP BY state) SELECT c0 AS o0, c1 AS o1 FROM s1 ORDER BY c1 DESC, c0 ASC',
      params: [],
    },
    postgres: {
      sql: 'WITH s0 AS (SELECT * FROM supervisors WHERE (1 = 1)), s1 AS (SELECT state AS c0, count(*) AS c1 FROM s0 GROUP BY state) SELECT c0 AS o0, c1 AS o1 FROM s1 ORDER BY c1 DESC NULLS LAST, c0 ASC NULLS FIRST',
      params: [],
    },
    rows: [
      { o0: 'ENABLED', o1: 2 },
      { o0: 'DISABLED', o1: 1 },
    ],
  },
];

describe('the compiler writes the expected SQL for both dialects', () => {
  let t: TestStore;

  before(async () => {
    t = await openTestStore([
      supervisorRow({
        supervisor_id: 'sv-1',
        name: 'Überwachung',
        labels: '{"region":"eu"}',
        tags: '{"env":"prod"}',
      }),
      supervisorRow({
        supervisor_id: 'sv-2',
        name: 'überung',
        priority: 12,
        labels: '{"region":3}',
      }),
      supervisorRow({
        supervisor_id: 'sv-3',
        name: 'other',
        state: 'DISABLED',
        labels: '{"region":"3"}',
      }),
    ]);
  });
  after(async () => t.dispose());

  for (const c of CASES) {
    it(`compiles ${c.name}`, async () => {
      const sqlite = c.compile(sqliteDialect);
      assert.deepEqual({ sql: sqlite.sql, params: sqlite.params }, c.sqlite);
      const postgres = c.compile(postgresDialect);
      assert.deepEqual({ sql: postgres.sql, params: postgres.params }, c.postgres);

      const rows = await t.run(sqlite);
      const got = typeof c.rows[0] === 'string' ? rows.map((r) => r['supervisor_id']) : rows;
      assert.deepEqual(got, c.rows);
    });
  }
});
