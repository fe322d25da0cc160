import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '../domain/index.js';
import type { Caller } from './caller.js';
import type { Services } from './index.js';
import { applyLiveness } from './liveness-job.js';
import { openTestServices, type TestServices } from './test-services.js';

/** A clock the test moves by hand, shared by the services and the liveness job. */
class ManualClock implements Clock {
  #ms = Date.parse('2026-12-03T12:00:00.000Z');
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

const domain_id = 'domain-live';
const agent: Caller = {
  role: 'SUPERVISOR',
  domainId: domain_id,
  supervisorName: 'edge',
  requestId: 't',
};
const admin: Caller = { role: 'DOMAIN_ADMIN', domainId: domain_id, requestId: 't' };
const TIMEOUT = { heartbeatTimeoutMs: 120_000 };

describe('liveness with real publishes and an injected clock', () => {
  let opened: TestServices;
  let services: Services;
  const clock = new ManualClock();

  before(async () => {
    opened = await openTestServices({ clock });
    services = opened.services;
  });
  after(() => opened.close());

  const publish = (hostname: string) =>
    services.supervisors.publish(agent, { name: 'edge', hostname, domain_id, secret_key: 'k-1' });
  const stateOf = async (supervisor_id: string) =>
    (await services.supervisors.get(admin, { supervisor_id, domain_id })).state;
  const tick = (ms: number) => {
    clock.advance(ms);
    return applyLiveness(services.store.db, { clock, ...TIMEOUT });
  };

  it('disconnects a silent ENABLED supervisor, and its next publish brings it back to ENABLED', async () => {
    const { supervisor_id } = await publish('edge-1.example');
    await services.supervisors.register(admin, { supervisor_id, domain_id });

    await tick(60_000);
    await publish('edge-1.example');
    assert.deepEqual(await tick(120_000), []);
    assert.equal(await stateOf(supervisor_id), 'ENABLED');

    assert.equal((await tick(1)).length, 1);
    assert.equal(await stateOf(supervisor_id), 'DISCONNECTED');

    const back = await publish('edge-1.example');
    assert.equal(back.state, 'ENABLED');
    assert.deepEqual(await tick(1_000), []);
  });

  it('never changes a DISABLED supervisor that keeps publishing, nor one that falls silent', async () => {
    const { supervisor_id } = await publish('edge-2.example');
    await services.supervisors.register(admin, { supervisor_id, domain_id });
    await services.supervisors.disable(admin, { supervisor_id, domain_id });

    for (let i = 0; i < 3; i++) {
      await tick(200_000);
      assert.equal((await publish('edge-2.example')).state, 'DISABLED');
    }
    await tick(3_600_000);
    assert.equal(await stateOf(supervisor_id), 'DISABLED');
  });

  it('disconnects a supervisor nobody registered within five minutes, and publishing does not bring it back', async () => {
    const { supervisor_id } = await publish('edge-3.example');
    await tick(299_999);
    await publish('edge-3.example');
    assert.equal(await stateOf(supervisor_id), 'PENDING');
    await tick(2);
    assert.equal(await stateOf(supervisor_id), 'DISCONNECTED');
    assert.equal((await publish('edge-3.example')).state, 'DISCONNECTED');

    // An operator accepts it with enable.
    const enabled = await services.supervisors.enable(admin, { supervisor_id, domain_id });
    assert.equal(enabled.state, 'ENABLED');

    // Accepted now: when it falls silent and comes back, its publish revives it.
    assert.equal((await tick(120_001)).length, 1);
    assert.equal((await publish('edge-3.example')).state, 'ENABLED');
  });
});
