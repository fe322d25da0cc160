import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Clock } from '../domain/time.js';
import { openStore, type Store } from '../store/db.js';
import { applyLiveness, startLivenessJob } from './liveness-job.js';

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

let dir: string;
let store: Store;
let clock: ManualClock;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pv-liveness-'));
  store = await openStore(`sqlite:${join(dir, 'plugvisor.db')}`);
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.db.deleteFrom('supervisors').execute();
  clock = new ManualClock('2026-12-03T12:00:00.000Z');
});

async function insert(id: string, state: string, registered = 0): Promise<void> {
  const now = clock.now().toISOString();
  await store.db
    .insertInto('supervisors')
    .values({
      supervisor_id: id,
      name: id,
      hostname: `${id}.example`,
      domain_id: 'domain-a',
      state,
      is_public: 0,
      priority: 10,
      labels: '{}',
      tags: '{}',
      secret_hash: '',
      registered,
      created_at: now,
      updated_at: now,
      last_seen_at: now,
    })
    .execute();
}

/** What a publish does to liveness: refresh last_seen_at, and bring a registered DISCONNECTED supervisor back. */
async function heartbeat(id: string): Promise<void> {
  const now = clock.now().toISOString();
  await store.db
    .updateTable('supervisors')
    .set({ last_seen_at: now })
    .where('supervisor_id', '=', id)
    .execute();
  await store.db
    .updateTable('supervisors')
    .set({ state: 'ENABLED', updated_at: now })
    .where('supervisor_id', '=', id)
    .where('state', '=', 'DISCONNECTED')
    .where('registered', '=', 1)
    .execute();
}

async function stateOf(id: string): Promise<string> {
  const row = await store.db
    .selectFrom('supervisors')
    .select('state')
    .where('supervisor_id', '=', id)
    .executeTakeFirstOrThrow();
  return row.state;
}

describe('liveness job on a SQLite store', () => {
  it('disconnects a PENDING supervisor five minutes after creation, even while it publishes', async () => {
    await insert('pending', 'PENDING');
    clock.advance(299_000);
    await heartbeat('pending');
    assert.deepEqual(await applyLiveness(store.db, { clock }), []);

    clock.advance(1_001);
    await heartbeat('pending');
    const changes = await applyLiveness(store.db, { clock });
    assert.deepEqual(changes, [
      { supervisorId: 'pending', domainId: 'domain-a', from: 'PENDING', to: 'DISCONNECTED' },
    ]);
    assert.equal(await stateOf('pending'), 'DISCONNECTED');

    // Never registered: publishing does not bring it back; an operator's enable does.
    await heartbeat('pending');
    assert.equal(await stateOf('pending'), 'DISCONNECTED');
  });

  it('disconnects a silent ENABLED supervisor after the configured timeout, and its next publish brings it back', async () => {
    await insert('enabled', 'ENABLED', 1);
    clock.advance(60_000);
    assert.deepEqual(await applyLiveness(store.db, { clock, heartbeatTimeoutMs: 60_000 }), []);

    clock.advance(1);
    const changes = await applyLiveness(store.db, { clock, heartbeatTimeoutMs: 60_000 });
    assert.equal(changes.length, 1);
    assert.equal(await stateOf('enabled'), 'DISCONNECTED');
    const row = await store.db
      .selectFrom('supervisors')
      .select('updated_at')
      .where('supervisor_id', '=', 'enabled')
      .executeTakeFirstOrThrow();
    assert.equal(row.updated_at, clock.now().toISOString());

    clock.advance(5_000);
    await heartbeat('enabled');
    assert.equal(await stateOf('enabled'), 'ENABLED');
    assert.deepEqual(await applyLiveness(store.db, { clock, heartbeatTimeoutMs: 60_000 }), []);
  });

  it('uses five minutes as the default heartbeat timeout', async () => {
    await insert('enabled', 'ENABLED', 1);
    clock.advance(300_000);
    assert.deepEqual(await applyLiveness(store.db, { clock }), []);
    clock.advance(1);
    assert.equal((await applyLiveness(store.db, { clock })).length, 1);
  });

  it('never changes a DISABLED supervisor, silent or still publishing', async () => {
    await insert('silent', 'DISABLED', 1);
    await insert('chatty', 'DISABLED', 1);
    for (let i = 0; i < 5; i++) {
      clock.advance(400_000);
      await heartbeat('chatty');
      assert.deepEqual(await applyLiveness(store.db, { clock }), []);
    }
    assert.equal(await stateOf('silent'), 'DISABLED');
    assert.equal(await stateOf('chatty'), 'DISABLED');
  });

  it('changes each supervisor once when several replicas run the pass at the same moment', async () => {
    for (let i = 0; i < 20; i++)
      await insert(`s${i}`, i % 2 === 0 ? 'ENABLED' : 'PENDING', i % 2 === 0 ? 1 : 0);
    clock.advance(600_000);
    // Each replica has its own connection to the same database file.
    const replicas = await Promise.all(
      [1, 2, 3].map(() => openStore(`sqlite:${join(dir, 'plugvisor.db')}`)),
    );
    const passes = await Promise.all(
      [store, ...replicas].map((r) => applyLiveness(r.db, { clock })),
    );
    for (const replica of replicas) await replica.close();
    const changed = passes
      .flat()
      .map((c) => c.supervisorId)
      .sort();
    assert.equal(changed.length, 20);
    assert.equal(new Set(changed).size, 20);
  });

  it('runs on a timer, logs each change at info, and stops cleanly', async () => {
    await insert('timed', 'ENABLED', 1);
    clock.advance(301_000);
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => (lines.push(String(chunk)), done()),
    });
    const job = startLivenessJob({ db: store.db, clock, logger: pino(sink), intervalMs: 10 });
    const deadline = Date.now() + 5_000;
    while ((await stateOf('timed')) !== 'DISCONNECTED' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await job.stop();
    assert.equal(await stateOf('timed'), 'DISCONNECTED');
    const info = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.supervisorId === 'timed');
    assert.equal(info?.level, 30);
    assert.equal(info?.to, 'DISCONNECTED');
  });
});
