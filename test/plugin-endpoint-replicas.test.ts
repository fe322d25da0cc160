/**
 * Single-flight across control-plane replicas: two `plugvisor serve` processes share one SQLite
 * file. Concurrent cold requests spread over both must still end up with one instance, and every
 * caller gets its endpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateKeys, mintToken } from '../src/auth/index.js';
import { PluginClient, SupervisorClient } from '../src/transport/client/index.js';
import { startServeProcess, type ServeProcess } from './support/serve-process.js';

const CATALOG = `
plugins:
  plugin-echo:
    name: Echo
    resource_type: plugvisor.Example
    versions: ['1.0.0']
    process: { command: node }
`;

describe('single-flight across two serve processes sharing one database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-replicas-'));
  const replicas: ServeProcess[] = [];
  const clients: { supervisors: SupervisorClient; plugins: PluginClient }[] = [];

  before(async () => {
    const catalog = join(dir, 'catalog.yaml');
    writeFileSync(catalog, CATALOG);
    const flags = ['--database', `sqlite:${join(dir, 'plugvisor.db')}`, '--catalog', catalog];
    // Both replicas share the data dir, hence the signing key, as replicas of one deployment do.
    flags.push('--data-dir', dir);
    flags.push('--install-timeout', '20', '--wait-recheck', '0.2', '--log-level', 'info');
    // One after the other, so that the migrations run once.
    for (let i = 0; i < 2; i++) replicas.push(await startServeProcess(flags));
    const token = await mintToken(await loadOrCreateKeys(dir), { role: 'SYSTEM' });
    for (const r of replicas) {
      clients.push({
        supervisors: new SupervisorClient(r.grpcAddress, { token }),
        plugins: new PluginClient(r.grpcAddress, { token }),
      });
    }
  });
  after(async () => {
    for (const c of clients) {
      c.supervisors.close();
      c.plugins.close();
    }
    await Promise.all(replicas.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates one instance for sixteen concurrent cold requests on two replicas', async () => {
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const domain_id = 'domain-replicas';
    const publish = { name: 'host-r', hostname: 'host-r', domain_id };
    const supervisor = await a.supervisors.publish(publish);
    await b.supervisors.register({ supervisor_id: supervisor.supervisor_id, domain_id });

    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id };
    const calls = Array.from({ length: 16 }, (_, i) =>
      (i % 2 === 0 ? a : b).plugins.getPluginEndpoint(request),
    );

    const listed = async () =>
      (await b.supervisors.listPlugins({ supervisor_id: supervisor.supervisor_id, domain_id }))
        .results;
    const deadline = Date.now() + 10_000;
    while ((await listed()).length === 0) {
      assert.ok(Date.now() < deadline, 'an instance should be created');
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 500));
    const instances = await listed();
    assert.equal(instances.length, 1, 'one installed instance for sixteen requests');
    assert.equal(instances[0]?.state, 'PROVISIONING');

    // The agent reports to replica A only. A's waiting calls are woken by its event; B's, which
    // cannot see A's events, by the --wait-recheck safety net (docs/plugins.md).
    const report = {
      ...publish,
      plugin_info: [
        {
          plugin_id: 'plugin-echo',
          version: '1.0.0',
          state: 'ACTIVE',
          endpoints: ['grpc://127.0.0.1:7901'],
        },
      ],
    };
    const reported = Date.now();
    await a.supervisors.publish(report);

    const answers = await Promise.all(calls);
    assert.ok(Date.now() - reported < 5000, 'answered long before the 20 s install timeout');
    assert.equal(answers.length, 16);
    assert.ok(answers.every((x) => x.endpoint === 'grpc://127.0.0.1:7901'));
    assert.equal((await listed()).length, 1);
  });
});
