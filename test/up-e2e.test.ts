/**
 * `plugvisor up` end to end, as a user runs it: a child process on free ports; a real client asks
 * for the example plugin's endpoint (cold), calls the plugin there, recovers it, kills it, and
 * finally stops `up` — which must leave no plugin process behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { callEchoPlugin } from '../examples/plugins/echo/call.js';
import { readLocalToken } from '../src/auth/index.js';
import { PluginClient, SupervisorClient } from '../src/transport/client/index.js';
import {
  pluginProcessesOf,
  recordedPids,
  startPlugvisor,
  waitUntil,
  type PlugvisorProcess,
} from './support/plugvisor-process.js';

const DOMAIN = 'domain-local';
const ECHO = 'plugin-echo@1.0.0';

describe('plugvisor up, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugvisor-up-'));
  const agentDir = join(dataDir, 'agents', hostname().replace(/[^A-Za-z0-9._-]/g, '_'));
  let up: PlugvisorProcess;
  let supervisors: SupervisorClient;
  let plugins: PluginClient;
  let supervisorId = '';
  let endpoint = '';

  before(async () => {
    up = startPlugvisor(['up', '--grpc-port', '0', '--http-port', '0', '--data-dir', dataDir]);
    const listening = await up.waitForLog((l) => l.msg === 'Plugvisor listening');
    await up.waitForLog((l) => l.msg === 'Local supervisor registered (public)');
    const token = await readLocalToken(dataDir);
    supervisors = new SupervisorClient(String(listening.grpc), { token });
    plugins = new PluginClient(String(listening.grpc), { token });
  });

  after(async () => {
    supervisors?.close();
    plugins?.close();
    await up?.stop('SIGKILL');
    for (const pid of pluginProcessesOf(agentDir)) process.kill(-pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers the local supervisor, public and ENABLED, named after the host', async () => {
    const list = await supervisors.list({ domain_id: DOMAIN });

    assert.equal(list.results.length, 1);
    const [supervisor] = list.results;
    assert.equal(supervisor?.name, hostname());
    assert.equal(supervisor?.state, 'ENABLED');
    assert.equal(supervisor?.is_public, true);
    supervisorId = supervisor?.supervisor_id ?? '';
  });

  it('deploys the example plugin on a cold get_plugin_endpoint, and the plugin answers there', async () => {
    const answer = await plugins.getPluginEndpoint(
      { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: DOMAIN },
      { timeoutMs: 30_000 },
    );
    endpoint = answer.endpoint;

    assert.match(endpoint, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    const reply = await callEchoPlugin(endpoint, 'hello');
    assert.deepEqual(reply, { version: '1.0.0', message: 'hello', plugin_id: 'plugin-echo' });
  });

  it('lists the instance ACTIVE with that endpoint', async () => {
    const list = await supervisors.listPlugins({ supervisor_id: supervisorId, domain_id: DOMAIN });

    assert.equal(list.results.length, 1);
    assert.equal(list.results[0]?.state, 'ACTIVE');
    assert.equal(list.results[0]?.endpoint, endpoint);
    assert.deepEqual(list.results[0]?.endpoints, [endpoint]);
  });

  it('serves every domain from the public local supervisor, with the same instance', async () => {
    const answer = await plugins.getPluginEndpoint(
      { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: 'domain-other' },
      { timeoutMs: 30_000 },
    );

    assert.equal(answer.endpoint, endpoint);
    assert.equal(pluginProcessesOf(agentDir).length, 1);
  });

  it('recreates the plugin on recover_plugin: a new process, ACTIVE again', async () => {
    const before = recordedPids(agentDir)[ECHO];
    assert.ok(before !== undefined);

    await supervisors.recoverPlugin({
      supervisor_id: supervisorId,
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      domain_id: DOMAIN,
    });

    await waitUntil(() => {
      const now = recordedPids(agentDir)[ECHO];
      return now !== undefined && now !== before;
    }, 'a new plugin process');
    await waitUntil(async () => (await activeEndpoint()) !== '', 'the recovered instance ACTIVE');
    assert.deepEqual(pluginProcessesOf(agentDir), [recordedPids(agentDir)[ECHO]]);
    endpoint = await activeEndpoint();
    assert.equal((await callEchoPlugin(endpoint, 'again')).message, 'again');
  });

  it('heals a plugin process killed with SIGKILL', async () => {
    const victim = recordedPids(agentDir)[ECHO]!;

    process.kill(victim, 'SIGKILL');

    await waitUntil(() => {
      const now = recordedPids(agentDir)[ECHO];
      return now !== undefined && now !== victim;
    }, 'a restarted plugin process');
    await waitUntil(async () => (await activeEndpoint()) !== '', 'the healed instance ACTIVE');
    endpoint = await activeEndpoint();
    await waitUntil(() => answers(endpoint), 'the healed plugin answering');
    assert.equal((await callEchoPlugin(endpoint, 'healed')).message, 'healed');
    assert.deepEqual(pluginProcessesOf(agentDir), [recordedPids(agentDir)[ECHO]]);
  });

  it('stops every plugin process it started on SIGTERM, and exits 0', async () => {
    assert.equal(pluginProcessesOf(agentDir).length, 1);

    const exit = await up.stop('SIGTERM', 15_000);

    assert.deepEqual(exit, { code: 0, signal: null });
    assert.deepEqual(pluginProcessesOf(agentDir), []);
  });

  function answers(at: string): Promise<boolean> {
    return callEchoPlugin(at, 'ping', 1_000).then(
      () => true,
      () => false,
    );
  }

  async function activeEndpoint(): Promise<string> {
    const list = await supervisors.listPlugins({ supervisor_id: supervisorId, domain_id: DOMAIN });
    const instance = list.results[0];
    return instance?.state === 'ACTIVE' ? (instance.endpoint ?? '') : '';
  }
});
