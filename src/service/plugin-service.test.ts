import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCatalog } from '../catalog/index.js';
import { PermissionDeniedError } from '../domain/index.js';
import type { Caller } from './caller.js';
import type { Services } from './index.js';
import { openTestServices, type TestServices } from './test-services.js';

const SYSTEM: Caller = { role: 'SYSTEM', domainId: undefined, requestId: 't' };
const CATALOG = parseCatalog(`
plugins:
  plugin-echo: { name: Echo, resource_type: x, versions: ['1.0.0'], process: { command: node } }
`);

describe('PluginService', () => {
  let opened: TestServices;
  let services: Services;
  before(async () => {
    opened = await openTestServices({ catalog: CATALOG, installTimeoutMs: 5000 });
    services = opened.services;
  });
  after(() => opened.close());

  async function enabledSupervisor(domain_id: string, hostname: string): Promise<string> {
    const s = await services.supervisors.publish(SYSTEM, { name: hostname, hostname, domain_id });
    await services.supervisors.register(SYSTEM, { supervisor_id: s.supervisor_id, domain_id });
    return s.supervisor_id;
  }

  async function activate(domain_id: string, hostname: string, endpoint: string): Promise<void> {
    await services.supervisors.publish(SYSTEM, {
      name: hostname,
      hostname,
      domain_id,
      plugin_info: [
        { plugin_id: 'plugin-echo', version: '1.0.0', state: 'ACTIVE', endpoints: [endpoint] },
      ],
    });
  }

  it('refuses agent tokens', async () => {
    const agent: Caller = {
      role: 'SUPERVISOR',
      domainId: 'd',
      supervisorName: 'h',
      requestId: 't',
    };
    const request = { plugin_id: 'plugin-echo', version: '1.0.0' };
    await assert.rejects(services.plugins.getPluginEndpoint(agent, request), PermissionDeniedError);
    await assert.rejects(
      services.plugins.notifyFailure(agent, {
        ...request,
        supervisor_id: 'supervisor-000000000000',
      }),
      PermissionDeniedError,
    );
  });

  it("acts in a domain admin's own domain whatever the request names", async () => {
    await enabledSupervisor('domain-own', 'own-host');
    const admin: Caller = { role: 'DOMAIN_ADMIN', domainId: 'domain-own', requestId: 't' };
    const call = services.plugins.getPluginEndpoint(admin, {
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      domain_id: 'domain-foreign',
    });
    await new Promise((r) => setTimeout(r, 100));
    await activate('domain-own', 'own-host', 'grpc://127.0.0.1:8001');
    assert.equal((await call).endpoint, 'grpc://127.0.0.1:8001');
  });

  it('creates the instance again after the cleanup removed it and its claim', async () => {
    const supervisorId = await enabledSupervisor('domain-again', 'again-host');
    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: 'domain-again' };
    const first = services.plugins.getPluginEndpoint(SYSTEM, request);
    await new Promise((r) => setTimeout(r, 100));
    await activate('domain-again', 'again-host', 'grpc://127.0.0.1:8101');
    await first;

    const repoRows = () =>
      services.store.db
        .selectFrom('instance_claims')
        .select('supervisor_id')
        .where('domain_id', '=', 'domain-again')
        .execute();
    assert.deepEqual(await repoRows(), [{ supervisor_id: supervisorId }]);
    await services.store.db
      .updateTable('installed_plugins')
      .set({
        endpoint_called_at: '2000-01-01T00:00:00.000Z',
        created_at: '2000-01-01T00:00:00.000Z',
      })
      .where('supervisor_id', '=', supervisorId)
      .execute();
    assert.equal((await services.cleanup.runOnce()).length, 1);
    assert.deepEqual(await repoRows(), []);

    const second = services.plugins.getPluginEndpoint(SYSTEM, request);
    await new Promise((r) => setTimeout(r, 100));
    const rows = await services.store.db
      .selectFrom('installed_plugins')
      .select('state')
      .where('supervisor_id', '=', supervisorId)
      .execute();
    assert.deepEqual(rows, [{ state: 'PROVISIONING' }]);
    await activate('domain-again', 'again-host', 'grpc://127.0.0.1:8102');
    assert.equal((await second).endpoint, 'grpc://127.0.0.1:8102');
  });
});
