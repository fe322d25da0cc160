import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { CachingSqliteDialect, STATEMENT_CACHE_SIZE } from './sqlite-driver.js';

interface TestDb {
  t: { id: number; v: string };
}

/** A Kysely over an in-memory database whose `prepare` calls are counted. */
function openCounting(): { db: Kysely<TestDb>; prepared: () => number } {
  const sqlite = new BetterSqlite3(':memory:');
  let count = 0;
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((text: string) => {
    count++;
    return prepare(text);
  }) as typeof sqlite.prepare;
  const db = new Kysely<TestDb>({ dialect: new CachingSqliteDialect(sqlite) });
  return { db, prepared: () => count };
}

describe('the caching SQLite dialect', () => {
  it('prepares a statement once and reuses it with new parameters', async () => {
    const { db, prepared } = openCounting();
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(db);
      const before = prepared();
      for (let i = 1; i <= 5; i++) {
        await db
          .insertInto('t')
          .values({ id: i, v: `v${i}` })
          .execute();
      }
      const rows = await db.selectFrom('t').select('v').where('id', '>', 3).execute();
      const again = await db.selectFrom('t').select('v').where('id', '>', 1).execute();
      assert.deepEqual(
        rows.map((r) => r.v),
        ['v4', 'v5'],
      );
      assert.equal(again.length, 4);
      assert.equal(prepared() - before, 2, 'one INSERT and one SELECT text, each prepared once');

      const updated = await db
        .updateTable('t')
        .set({ v: 'x' })
        .where('id', '<', 3)
        .executeTakeFirst();
      assert.equal(updated.numUpdatedRows, 2n);
    } finally {
      await db.destroy();
    }
  });

  it(`keeps at most ${STATEMENT_CACHE_SIZE} statements, preparing evicted ones again`, async () => {
    const { db, prepared } = openCounting();
    try {
      const query = (n: number) => sql`SELECT ${sql.lit(n)} AS n`.execute(db);
      for (let n = 0; n <= STATEMENT_CACHE_SIZE; n++) await query(n);
      const before = prepared();
      await query(STATEMENT_CACHE_SIZE); // recent: cached
      assert.equal(prepared(), before);
      await query(0); // the oldest, evicted
      assert.equal(prepared(), before + 1);
    } finally {
      await db.destroy();
    }
  });

  it('runs concurrent work in arrival order and keeps a transaction to itself', async () => {
    const { db } = openCounting();
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(db);
      const order: string[] = [];
      const trx = db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 1, v: 'in-trx' }).execute();
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('trx');
        throw new Error('roll back');
      });
      const reads = [1, 2, 3].map(async (i) => {
        const rows = await db.selectFrom('t').selectAll().execute();
        order.push(`read${i}:${rows.length}`);
      });
      await assert.rejects(trx, /roll back/);
      await Promise.all(reads);
      assert.deepEqual(order, ['trx', 'read1:0', 'read2:0', 'read3:0']);
    } finally {
      await db.destroy();
    }
  });
});
