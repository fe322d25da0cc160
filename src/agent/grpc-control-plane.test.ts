import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

import { mintToken } from '../auth/index.js';
import { startControlPlane, type RunningControlPlane } from '../server/index.js';
import { GrpcControlPlane } from './grpc-control-plane.js';

const identity = {
  name: 'agent-host',
  hostname: 'agent-host',
  domainId: 'domain-a',
  secretKey: 's3cret',
  labels: { zone: 'a' },
  tags: { team: 'ops' },
  isPublic: false,
};

describe('the agent over gRPC (a real control plane on loopback)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugvisor-grpc-cp-'));
  let plane: RunningControlPlane;
  let controlPlane: GrpcControlPlane;

  before(async () => {
    plane = await startControlPlane(
      {
        grpcPort: 0,
        httpPort: 0,
        host: '127.0.0.1',
        database: `sqlite:${join(dir, 'db.sqlite')}`,
        dataDir: dir,
      },
      { logger: pino({ level: 'silent' }) },
    );
    controlPlane = new GrpcControlPlane({
      address: plane.grpcAddress,
      token: await agentToken(plane),
      identity,
      timeoutMs: 5_000,
    });
  });

  after(async () => {
    controlPlane.close();
    await plane.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the supervisor, which starts PENDING, and lists an empty desired set', async () => {
    const supervisor = await controlPlane.publish([]);

    assert.match(supervisor.supervisor_id, /^supervisor-[0-9a-f]{12}$/);
    assert.equal(supervisor.state, 'PENDING');
    assert.deepEqual(await controlPlane.listPlugins(supervisor.supervisor_id), []);
    assert.equal((await controlPlane.publish([])).supervisor_id, supervisor.supervisor_id);
  });

  it('carries the desired revision both ways, and a report of an old one changes nothing', async () => {
    const { supervisor_id } = await controlPlane.publish([]);
    const key = { supervisor_id, plugin_id: 'plugin-rev', version: '1.0.0' };
    const now = new Date().toISOString();
    await plane.services.store.db
      .insertInto('installed_plugins')
      .values({
        ...key,
        state: 'ACTIVE',
        endpoint: 'grpc://127.0.0.1:1',
        endpoints: '["grpc://127.0.0.1:1"]',
        managed: 1,
        domain_id: 'domain-a',
        error_message: '',
        rr_counter: 0,
        created_at: now,
        updated_at: now,
        endpoint_called_at: null,
      })
      .execute();
    const system = { role: 'SYSTEM' as const, domainId: undefined, requestId: 't' };
    await plane.services.supervisors.recoverPlugin(system, { ...key, domain_id: 'domain-a' });

    const listed = await controlPlane.listPlugins(supervisor_id);
    assert.deepEqual(
      listed.map((p) => [p.plugin_id, p.state, p.revision]),
      [['plugin-rev', 'RE_PROVISIONING', 2]],
    );
    const report = { plugin_id: 'plugin-rev', version: '1.0.0', state: 'ACTIVE' as const };
    const endpoints = { endpoint: 'grpc://127.0.0.1:2', endpoints: ['grpc://127.0.0.1:2'] };
    await controlPlane.publish([{ ...report, ...endpoints, error_message: '', revision: 1 }]);
    assert.equal((await controlPlane.listPlugins(supervisor_id))[0]?.state, 'RE_PROVISIONING');
    await controlPlane.publish([{ ...report, ...endpoints, error_message: '', revision: 2 }]);
    assert.equal((await controlPlane.listPlugins(supervisor_id))[0]?.state, 'ACTIVE');
  });

  it('is told through the watch stream, at once, that the desired set changed', async () => {
    const { supervisor_id } = await controlPlane.publish([]);
    let messages = 0;
    const watch = controlPlane.watch(supervisor_id, () => messages++);

    await watch.opened;
    assert.equal(messages, 1, 'one message when the stream opens');
    const sent = Date.now();
    plane.services.events.desiredChanged(supervisor_id);
    plane.services.events.desiredChanged('supervisor-000000000000');
    while (messages < 2 && Date.now() - sent < 2_000) await sleep(2);

    assert.equal(messages, 2);
    assert.ok(Date.now() - sent < 200, `took ${Date.now() - sent} ms`);
    watch.close();
    assert.equal(await watch.ended, undefined);
  });

  it('ends the watch stream with NOT_FOUND for a supervisor the agent cannot see', async () => {
    const other = new GrpcControlPlane({
      address: plane.grpcAddress,
      token: await mintToken(plane.auth.keys!, {
        role: 'SUPERVISOR',
        domainId: 'domain-a',
        supervisorName: 'other-host',
      }),
      identity: { ...identity, name: 'other-host', hostname: 'other-host' },
    });
    const { supervisor_id: othersId } = await other.publish([]);
    other.close();
    assert.ok((await controlPlane.publish([])).supervisor_id !== othersId);

    const watch = controlPlane.watch(othersId, () => undefined);

    await assert.rejects(watch.opened, /ERROR_NOT_FOUND|not found/);
    const ended = await watch.ended;
    assert.equal((ended as { code?: string } | undefined)?.code, 'ERROR_NOT_FOUND');
  });

  it('fails publish with an error when the control plane is unreachable', async () => {
    const nowhere = new GrpcControlPlane({ address: '127.0.0.1:1', identity, timeoutMs: 1_000 });

    await assert.rejects(nowhere.publish([]));
    nowhere.close();
  });
});

describe('the watch stream when the control plane shuts down', () => {
  it('ends at once, so the control plane stops without waiting out its grace period', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'plugvisor-grpc-cp-'));
    const plane = await startControlPlane(
      {
        grpcPort: 0,
        httpPort: 0,
        host: '127.0.0.1',
        database: `sqlite:${join(dir, 'db.sqlite')}`,
        dataDir: dir,
      },
      { logger: pino({ level: 'silent' }) },
    );
    const controlPlane = new GrpcControlPlane({
      address: plane.grpcAddress,
      token: await agentToken(plane),
      identity,
      timeoutMs: 5_000,
    });
    t.after(async () => {
      controlPlane.close();
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const { supervisor_id } = await controlPlane.publish([]);
    const watch = controlPlane.watch(supervisor_id, () => undefined);
    await watch.opened;

    const started = Date.now();
    await plane.close();

    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.ok(
      (await watch.ended) instanceof Error,
      'the agent sees the stream end and re-opens it',
    );
    controlPlane.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

/** A SUPERVISOR token for the test agent: publish and list_plugins as agent-host only. */
function agentToken(plane: RunningControlPlane): Promise<string> {
  return mintToken(plane.auth.keys!, {
    role: 'SUPERVISOR',
    domainId: 'domain-a',
    supervisorName: 'agent-host',
  });
}
