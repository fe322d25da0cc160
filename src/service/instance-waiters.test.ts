import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceRow } from '../store/plugin-endpoint-repository.js';
import { ServiceEvents } from './events.js';
import { InstanceWaiters } from './instance-waiters.js';

const KEY = {
  supervisor_id: 'supervisor-000000000001',
  plugin_id: 'plugin-echo',
  version: '1.0.0',
};

function row(fields: Partial<InstanceRow>): InstanceRow {
  return {
    ...KEY,
    state: 'PROVISIONING',
    endpoint: '',
    endpoints: [],
    error_message: '',
    created_at: '',
    updated_at: '',
    ...fields,
  };
}

/** A table of one row standing in for the store, counting reads. */
function fakeStore() {
  const state = { current: row({}), reads: 0 };
  const read = () => {
    state.reads++;
    return Promise.resolve(state.current);
  };
  return { state, read };
}

describe('InstanceWaiters', () => {
  it('releases every waiter of an instance with one read per report once it is ready', async () => {
    const events = new ServiceEvents();
    const store = fakeStore();
    const waiters = new InstanceWaiters(events, store.read);

    const calls = Array.from({ length: 200 }, () => waiters.wait(KEY, 10_000));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(waiters.size, 200);
    const readsWhileIdle = store.state.reads;

    store.state.current = row({ state: 'ACTIVE', endpoints: ['grpc://127.0.0.1:1'] });
    events.instancesReported(KEY.supervisor_id);
    const results = await Promise.all(calls);

    assert.ok(results.every((r) => r !== 'timeout' && r.state === 'ACTIVE'));
    assert.equal(store.state.reads - readsWhileIdle, 1);
    assert.equal(waiters.size, 0);
  });

  it('keeps waiting through reports that leave the instance not ready', async () => {
    const events = new ServiceEvents();
    const store = fakeStore();
    const waiters = new InstanceWaiters(events, store.read);

    const call = waiters.wait(KEY, 10_000);
    store.state.current = row({ state: 'ACTIVE' });
    events.instancesReported(KEY.supervisor_id);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(waiters.size, 1, 'ACTIVE without an endpoint is not ready');

    store.state.current = row({ state: 'ACTIVE', endpoint: 'grpc://127.0.0.1:2' });
    events.instancesReported(KEY.supervisor_id);
    assert.notEqual(await call, 'timeout');
  });

  it('returns at once when the instance is ready before the wait starts', async () => {
    const store = fakeStore();
    store.state.current = row({ state: 'ACTIVE', endpoints: ['grpc://127.0.0.1:3'] });
    const waiters = new InstanceWaiters(new ServiceEvents(), store.read);
    assert.notEqual(await waiters.wait(KEY, 10_000), 'timeout');
  });

  it('times out, and forgets aborted waiters', async () => {
    const events = new ServiceEvents();
    const waiters = new InstanceWaiters(events, fakeStore().read);

    const started = Date.now();
    assert.equal(await waiters.wait(KEY, 100), 'timeout');
    assert.ok(Date.now() - started >= 95);

    const controller = new AbortController();
    const call = waiters.wait(KEY, 10_000, controller.signal);
    controller.abort(new Error('caller went away'));
    await assert.rejects(call, /caller went away/);
    assert.equal(waiters.size, 0);
  });

  it('with a recheck interval, finds a ready instance no event announced (another replica)', async () => {
    const store = fakeStore();
    const waiters = new InstanceWaiters(new ServiceEvents(), store.read, 50);
    const call = waiters.wait(KEY, 10_000);
    await new Promise((r) => setTimeout(r, 120));
    store.state.current = row({ state: 'ACTIVE', endpoints: ['grpc://127.0.0.1:4'] });
    assert.notEqual(await call, 'timeout');

    const reads = store.state.reads;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(store.state.reads, reads, 'no reads once nobody waits');
  });
});
