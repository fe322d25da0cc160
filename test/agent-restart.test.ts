/**
 * The agent and the control plane as separate processes (`plugvisor serve`, `plugvisor agent`):
 * killing the agent leaves its plugins running and a new agent adopts them (none duplicated, none
 * killed); stopping the control plane for a while leaves the plugins running too, and when it
 * returns the agent publishes and its supervisor is ENABLED again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { callEchoPlugin } from '../examples/plugins/echo/call.js';
import { findFreePort } from '../src/agent/index.js';
import { ensureLocalToken } from '../src/auth/index.js';
import { applyLiveness } from '../src/service/liveness-job.js';
import { openStore } from '../src/store/index.js';
import { PluginClient, SupervisorClient } from '../src/transport/client/index.js';
import {
  pluginProcessesOf,
  recordedPids,
  startPlugvisor,
  waitUntil,
  type PlugvisorProcess,
} from './support/plugvisor-process.js';

const DOMAIN = 'domain-restart';
const NAME = 'host-restart';

describe('an agent restarted, and a control plane gone for a while', () => {
  const serveDir = mkdtempSync(join(tmpdir(), 'plugvisor-serve-'));
  const agentRoot = mkdtempSync(join(tmpdir(), 'plugvisor-agent-'));
  const agentDir = join(agentRoot, 'agents', NAME);
  let grpcPort = 0;
  let token = '';
  let serve: PlugvisorProcess | undefined;
  let agent: PlugvisorProcess | undefined;
  let supervisors: SupervisorClient;
  let plugins: PluginClient;
  let supervisorId = '';
  const endpoints: Record<string, string> = {};

  const startServe = async () => {
    serve = startPlugvisor([
      'serve',
      '--grpc-port',
      String(grpcPort),
      '--http-port',
      '0',
      '--data-dir',
      serveDir,
    ]);
    await serve.waitForLog((l) => l.msg === 'Plugvisor listening');
  };
  const startAgent = () =>
    startPlugvisor([
      'agent',
      '--control-plane',
      `127.0.0.1:${grpcPort}`,
      '--token',
      token,
      '--name',
      NAME,
      '--hostname',
      NAME,
      '--domain-id',
      DOMAIN,
      '--secret-key',
      'restart-secret',
      '--data-dir',
      agentRoot,
      '--heartbeat-interval',
      '500ms',
      '--resync-interval',
      '2s',
    ]);

  before(async () => {
    grpcPort = await findFreePort();
    token = (await ensureLocalToken(serveDir)).token;
    await startServe();
    supervisors = new SupervisorClient(`127.0.0.1:${grpcPort}`, { token });
    plugins = new PluginClient(`127.0.0.1:${grpcPort}`, { token });

    agent = startAgent();
    await waitUntil(async () => (await supervisorState()) === 'PENDING', 'the agent to publish');
    await supervisors.register({ supervisor_id: supervisorId, domain_id: DOMAIN });
    for (const version of ['1.0.0', '1.1.0']) {
      const answer = await plugins.getPluginEndpoint(
        { plugin_id: 'plugin-echo', version, domain_id: DOMAIN },
        { timeoutMs: 30_000 },
      );
      endpoints[version] = answer.endpoint;
    }
  });

  after(async () => {
    supervisors?.close();
    plugins?.close();
    await agent?.stop('SIGKILL');
    await serve?.stop('SIGKILL');
    for (const pid of pluginProcessesOf(agentDir)) process.kill(-pid, 'SIGKILL');
    rmSync(serveDir, { recursive: true, force: true });
    rmSync(agentRoot, { recursive: true, force: true });
  });

  it('adopts the running plugins after the agent was killed: none duplicated, none killed', async () => {
    const pidsBefore = recordedPids(agentDir);
    assert.equal(Object.keys(pidsBefore).length, 2);
    assert.deepEqual(
      pluginProcessesOf(agentDir),
      Object.values(pidsBefore).sort((a, b) => a - b),
    );

    await agent!.stop('SIGKILL');
    await sleep(300);
    assert.deepEqual(
      pluginProcessesOf(agentDir),
      Object.values(pidsBefore).sort((a, b) => a - b),
    );
    assert.equal((await callEchoPlugin(endpoints['1.0.0']!, 'orphaned?')).message, 'orphaned?');

    agent = startAgent();
    await waitUntil(
      () => agent!.logs.filter((l) => l.msg === 'Adopted running plugin process').length === 2,
      'two adoptions',
    );
    await agent.waitForLog((l) => l.msg === 'Control plane connected');
    await sleep(1_000);

    assert.deepEqual(recordedPids(agentDir), pidsBefore);
    assert.deepEqual(
      pluginProcessesOf(agentDir),
      Object.values(pidsBefore).sort((a, b) => a - b),
    );
    const listed = await supervisors.listPlugins({
      supervisor_id: supervisorId,
      domain_id: DOMAIN,
    });
    assert.deepEqual(listed.results.map((p) => [p.version, p.state, p.endpoint]).sort(), [
      ['1.0.0', 'ACTIVE', endpoints['1.0.0']],
      ['1.1.0', 'ACTIVE', endpoints['1.1.0']],
    ]);
    assert.equal(agent.logs.filter((l) => l.msg === 'Created plugin instance').length, 0);
  });

  it('keeps the plugins running while the control plane is down, and is ENABLED again when it returns', async () => {
    const pids = recordedPids(agentDir);

    await serve!.stop('SIGTERM');
    await agent!.waitForLog((l) => l.msg === 'Control plane unreachable; plugins keep running');
    await sleep(2_500);
    assert.deepEqual(recordedPids(agentDir), pids);
    assert.equal((await callEchoPlugin(endpoints['1.1.0']!, 'still here')).message, 'still here');
    // While it was away, the heartbeat timeout passed: the liveness rule marks it DISCONNECTED.
    const store = await openStore(`sqlite:${join(serveDir, 'plugvisor.db')}`);
    const changed = await applyLiveness(store.db, { heartbeatTimeoutMs: 1_000 });
    await store.close();
    assert.deepEqual(
      changed.map((c) => [c.supervisorId, c.to]),
      [[supervisorId, 'DISCONNECTED']],
    );

    const publishedBefore = agent!.logs.length;
    await startServe();

    await waitUntil(
      async () => (await supervisorState()) === 'ENABLED',
      'the supervisor ENABLED again',
    );
    await waitUntil(
      () => agent!.logs.slice(publishedBefore).some((l) => l.msg === 'Control plane connected'),
      'the agent to log that it is connected again',
    );
    assert.deepEqual(recordedPids(agentDir), pids);
    assert.equal(agent!.logs.filter((l) => l.msg === 'Created plugin instance').length, 0);
  });

  async function supervisorState(): Promise<string> {
    try {
      const list = await supervisors.list({ domain_id: DOMAIN, name: NAME });
      supervisorId = list.results[0]?.supervisor_id ?? '';
      return list.results[0]?.state ?? '';
    } catch {
      return '';
    }
  }
});
