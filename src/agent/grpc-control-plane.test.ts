import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

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
        authDisabled: true,
      },
      { logger: pino({ level: 'silent' }) },
    );
    controlPlane = new GrpcControlPlane({ address: plane.grpcAddress, identity, timeoutMs: 5_000 });
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

  it('ends the watch stream with NOT_FOUND for a supervisor the caller cannot see', async () => {
    const watch = controlPlane.watch('supervisor-0123456789ab', () => undefined);

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
