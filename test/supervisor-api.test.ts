import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InstalledPluginRepository } from '../src/store/index.js';
import {
  CallFailed,
  grpcAdapter,
  restAdapter,
  type ApiAdapter,
  type MethodName,
} from './support/api-adapter.js';
import {
  ISO_MS_UTC,
  startTestControlPlane,
  type TestControlPlane,
} from './support/control-plane.js';

/** Asserts that the call is refused with `code` and the transport's status for `kind`. */
async function refused(
  api: ApiAdapter,
  method: MethodName,
  request: Record<string, unknown>,
  code: string,
  kind: Parameters<ApiAdapter['statusOf']>[0],
): Promise<CallFailed> {
  try {
    await api.call(method, request);
  } catch (err) {
    assert.ok(err instanceof CallFailed, `expected a refusal, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, api.statusOf(kind), err.message);
    return err;
  }
  assert.fail(`${method} was expected to fail with ${code}`);
}

let t: TestControlPlane;
before(async () => {
  t = await startTestControlPlane();
});
after(async () => {
  await t.stop(true);
});

for (const transport of ['grpc', 'rest'] as const) {
  describe(`the Supervisor API over ${transport}`, () => {
    let api: ApiAdapter;
    const domain_id = `domain-${transport}`;
    let rootId = '';

    before(() => {
      api = transport === 'grpc' ? grpcAdapter(t) : restAdapter(t);
    });

    it('publishes a new supervisor in PENDING with the documented shape', async () => {
      const s = await api.call('publish', {
        name: 'root',
        hostname: 'root.example.com',
        secret_key: 's3cret',
        domain_id,
        tags: { env: 'dev', nested: { list: [1, true, null, 'x'] } },
        labels: { region: 'kr', gpu: true },
      });
      assert.match(String(s['supervisor_id']), /^supervisor-[0-9a-f]{12}$/);
      assert.equal(s['state'], 'PENDING');
      assert.equal(s['hostname'], 'root.example.com');
      assert.equal(s['is_public'], false);
      assert.equal(s['domain_id'], domain_id);
      assert.deepEqual(s['tags'], { env: 'dev', nested: { list: [1, true, null, 'x'] } });
      assert.deepEqual(s['labels'], { region: 'kr', gpu: true });
      assert.match(String(s['created_at']), ISO_MS_UTC);
      assert.match(String(s['updated_at']), ISO_MS_UTC);
      assert.equal(s['secret_key'], undefined);
      rootId = String(s['supervisor_id']);
    });

    it('returns the same supervisor on a later publish from that hostname', async () => {
      const s = await api.call('publish', {
        name: 'root',
        hostname: 'root.example.com',
        secret_key: 's3cret',
        domain_id,
      });
      assert.equal(s['supervisor_id'], rootId);
      assert.equal(s['state'], 'PENDING');
    });

    it('refuses a publish with another secret and changes nothing', async () => {
      await refused(
        api,
        'publish',
        { name: 'thief', hostname: 'root.example.com', secret_key: 'guess', domain_id },
        'ERROR_PERMISSION_DENIED',
        'PERMISSION_DENIED',
      );
      const s = await api.call('get', { supervisor_id: rootId, domain_id });
      assert.equal(s['name'], 'root');
    });

    it('refuses enable on a PENDING supervisor, naming the action, supervisor and state', async () => {
      const err = await refused(
        api,
        'enable',
        { supervisor_id: rootId, domain_id },
        'ERROR_SUPERVISOR_STATE',
        'FAILED_PRECONDITION',
      );
      for (const part of ['enable', rootId, 'PENDING'])
        assert.ok(err.message.includes(part), err.message);
    });

    it('registers once, then disables and enables', async () => {
      assert.equal(
        (await api.call('register', { supervisor_id: rootId, domain_id }))['state'],
        'ENABLED',
      );
      await refused(
        api,
        'register',
        { supervisor_id: rootId, domain_id },
        'ERROR_SUPERVISOR_STATE',
        'FAILED_PRECONDITION',
      );
      assert.equal(
        (await api.call('disable', { supervisor_id: rootId, domain_id }))['state'],
        'DISABLED',
      );
      assert.equal(
        (await api.call('disable', { supervisor_id: rootId, domain_id }))['state'],
        'DISABLED',
      );
      assert.equal(
        (await api.call('enable', { supervisor_id: rootId, domain_id }))['state'],
        'ENABLED',
      );
    });

    it('updates name, priority and tags and keeps the rest', async () => {
      const s = await api.call('update', {
        supervisor_id: rootId,
        domain_id,
        name: 'root-2',
        priority: 5,
        tags: { env: 'prod' },
      });
      assert.equal(s['name'], 'root-2');
      assert.equal(s['priority'], 5);
      assert.deepEqual(s['tags'], { env: 'prod' });
      assert.deepEqual(s['labels'], { region: 'kr', gpu: true });
      assert.equal(s['hostname'], 'root.example.com');
    });

    it('returns only the fields get names', async () => {
      const s = await api.call('get', {
        supervisor_id: rootId,
        domain_id,
        only: ['name', 'state'],
      });
      assert.equal(s['name'], 'root-2');
      assert.equal(s['state'], 'ENABLED');
      if (transport === 'rest') assert.deepEqual(Object.keys(s).sort(), ['name', 'state']);
      else assert.ok(!s['hostname'], 'fields outside only are not sent');
      await refused(
        api,
        'get',
        { supervisor_id: rootId, domain_id, only: ['secret_hash'] },
        'ERROR_INVALID_PARAMETER',
        'INVALID_ARGUMENT',
      );
    });

    it('filters, sorts, pages and counts lists in the database', async () => {
      for (const host of ['host-a', 'host-b', 'host-c']) {
        await api.call('publish', {
          name: `sup-${host}`,
          hostname: host,
          domain_id,
          tags: { tier: host === 'host-c' ? 'gold' : 'silver' },
        });
      }
      const page = await api.call('list', {
        domain_id,
        query: {
          filter: [{ k: 'hostname', v: ['host-a', 'host-b', 'host-c'], o: 'in' }],
          sort: { key: 'hostname', desc: true },
          page: { start: 2, limit: 1 },
        },
      });
      const results = page['results'] as Record<string, unknown>[];
      assert.deepEqual(
        results.map((r) => r['hostname']),
        ['host-b'],
      );
      assert.equal(page['total_count'], 3);

      const counted = await api.call('list', { domain_id, query: { count_only: true } });
      assert.equal(counted['total_count'], 4);
      assert.deepEqual(counted['results'], []);

      const byTag = await api.call('list', {
        domain_id,
        query: { filter: [{ key: 'tags.tier', value: 'gold', operator: 'eq' }] },
      });
      assert.deepEqual(
        (byTag['results'] as Record<string, unknown>[]).map((r) => r['hostname']),
        ['host-c'],
      );

      const either = await api.call('list', {
        domain_id,
        query: {
          filter: [{ k: 'name', v: 'SUP-', o: 'contain' }],
          filter_or: [
            { k: 'hostname', v: 'host-a' },
            { k: 'hostname', v: 'host-c' },
          ],
        },
      });
      assert.equal(either['total_count'], 2);

      const notIn = await api.call('list', {
        domain_id,
        query: {
          filter: [
            { k: 'hostname', v: ['host-a'], o: 'not_in' },
            { k: 'state', v: 'ENABLED', o: 'not' },
          ],
        },
      });
      assert.equal(notIn['total_count'], 2);

      const keyword = await api.call('list', {
        domain_id,
        query: { keyword: 'HOST-B', only: ['hostname'] },
      });
      assert.deepEqual(
        keyword['results'],
        transport === 'rest' ? [{ hostname: 'host-b' }] : keyword['results'],
      );
      assert.equal(keyword['total_count'], 1);

      const direct = await api.call('list', { domain_id, name: 'sup-host-a' });
      assert.equal(direct['total_count'], 1);

      await refused(
        api,
        'list',
        { domain_id, query: { filter: [{ k: 'secret_hash', v: 'x' }] } },
        'ERROR_INVALID_QUERY',
        'INVALID_ARGUMENT',
      );
      const other = await api.call('list', { domain_id: 'domain-elsewhere' });
      assert.equal(other['total_count'], 0);
    });

    it('applies plugin_info to installed plugins that exist and lists them', async () => {
      const repo = new InstalledPluginRepository(t.plane.services.store.db);
      const created_at = new Date().toISOString();
      await repo.insert({
        supervisor_id: rootId,
        plugin_id: 'plugin-a',
        version: '1.0',
        state: 'ACTIVE',
        domain_id,
        created_at,
      });
      await repo.insert({
        supervisor_id: rootId,
        plugin_id: 'plugin-b',
        version: '2.0',
        state: 'PROVISIONING',
        domain_id,
        created_at,
      });

      await api.call('publish', {
        name: 'root-2',
        hostname: 'root.example.com',
        secret_key: 's3cret',
        domain_id,
        plugin_info: [
          {
            plugin_id: 'plugin-b',
            version: '2.0',
            state: 'ACTIVE',
            endpoint: 'grpc://10.0.0.2:50051',
            endpoints: ['grpc://10.0.0.2:50051', 'grpc://10.0.0.1:50051'],
          },
          { plugin_id: 'plugin-unknown', version: '1.0', state: 'ACTIVE' },
        ],
      });

      const listed = await api.call('list_plugins', {
        supervisor_id: rootId,
        domain_id,
        state: 'ACTIVE',
        query: { sort: { key: 'plugin_id' } },
      });
      const plugins = listed['results'] as Record<string, unknown>[];
      assert.equal(listed['total_count'], 2);
      assert.deepEqual(
        plugins.map((p) => `${String(p['plugin_id'])}@${String(p['version'])}`),
        ['plugin-a@1.0', 'plugin-b@2.0'],
      );
      const b = plugins[1] ?? {};
      assert.equal(b['endpoint'], 'grpc://10.0.0.2:50051');
      assert.deepEqual(b['endpoints'], ['grpc://10.0.0.1:50051', 'grpc://10.0.0.2:50051']);
      assert.equal(b['supervisor_name'], 'root-2');
      assert.equal(b['domain_id'], domain_id);

      const byPlugin = await api.call('list_plugins', {
        supervisor_id: rootId,
        domain_id,
        plugin_id: 'plugin-a',
        query: { count_only: true },
      });
      assert.equal(byPlugin['total_count'], 1);
    });

    it('recovers an ACTIVE installed plugin and refuses a second recover', async () => {
      let notified = false;
      const off = t.plane.services.events.onDesiredChanged(rootId, () => (notified = true));
      const p = await api.call('recover_plugin', {
        supervisor_id: rootId,
        plugin_id: 'plugin-a',
        version: '1.0',
        domain_id,
      });
      off();
      assert.equal(p['state'], 'RE_PROVISIONING');
      assert.equal(p['plugin_id'], 'plugin-a');
      assert.ok(notified, 'the agent is told to look again');
      await refused(
        api,
        'recover_plugin',
        { supervisor_id: rootId, plugin_id: 'plugin-a', version: '1.0', domain_id },
        'ERROR_PLUGIN_STATE',
        'FAILED_PRECONDITION',
      );
      await refused(
        api,
        'recover_plugin',
        { supervisor_id: rootId, plugin_id: 'plugin-x', version: '1.0', domain_id },
        'ERROR_NOT_FOUND',
        'NOT_FOUND',
      );
    });

    it('refuses to deregister a supervisor with installed plugins, and deregisters one without', async () => {
      const err = await refused(
        api,
        'deregister',
        { supervisor_id: rootId, domain_id },
        'ERROR_INSTALLED_PLUGIN_EXIST',
        'FAILED_PRECONDITION',
      );
      assert.ok(err.message.includes('plugin-a@1.0'), err.message);
      assert.equal(
        (await api.call('get', { supervisor_id: rootId, domain_id }))['supervisor_id'],
        rootId,
      );

      const listed = await api.call('list', {
        domain_id,
        hostname: 'host-a',
        query: { filter: [{ k: 'hostname', v: 'host-a' }] },
      });
      const hostA = String((listed['results'] as Record<string, unknown>[])[0]?.['supervisor_id']);
      assert.deepEqual(await api.call('deregister', { supervisor_id: hostA, domain_id }), {});
      await refused(
        api,
        'get',
        { supervisor_id: hostA, domain_id },
        'ERROR_NOT_FOUND',
        'NOT_FOUND',
      );
    });

    it('names a missing required parameter and writes nothing', async () => {
      const before = (await api.call('list', { domain_id }))['total_count'];
      const err = await refused(
        api,
        'publish',
        { name: 'no-host', domain_id },
        'ERROR_REQUIRED_PARAMETER',
        'INVALID_ARGUMENT',
      );
      assert.ok(err.message.includes('hostname'), err.message);
      await refused(
        api,
        'publish',
        { name: 'x', hostname: 'x' },
        'ERROR_REQUIRED_PARAMETER',
        'INVALID_ARGUMENT',
      );
      await refused(
        api,
        'get',
        { supervisor_id: 'supervisor-000000000000', domain_id },
        'ERROR_NOT_FOUND',
        'NOT_FOUND',
      );
      assert.equal((await api.call('list', { domain_id }))['total_count'], before);
    });

    it('answers statistics queries over the domain, in the database', async () => {
      const answer = await api.call('stat', {
        domain_id,
        query: {
          aggregate: [
            {
              group: {
                keys: [{ key: 'state', name: 'state' }],
                fields: [{ operator: 'count', name: 'count' }],
              },
            },
            { sort: { key: 'state' } },
          ],
        },
      });
      assert.deepEqual(answer['results'], [
        { state: 'ENABLED', count: 1 },
        { state: 'PENDING', count: 2 },
      ]);

      const distinct = await api.call('stat', {
        domain_id,
        query: { distinct: 'hostname', page: { start: 1, limit: 2 } },
      });
      assert.deepEqual(distinct['results'], ['host-b', 'host-c']);
      assert.equal(distinct['total_count'], 3);

      await refused(
        api,
        'stat',
        { domain_id, query: { aggregate: [{ group: { keys: [{ key: 'secret_hash' }] } }] } },
        'ERROR_INVALID_QUERY',
        'INVALID_ARGUMENT',
      );
      await refused(api, 'stat', { domain_id }, 'ERROR_REQUIRED_PARAMETER', 'INVALID_ARGUMENT');
    });
  });
}

describe('the REST transport', () => {
  it('fills fields from the path and refuses a body that disagrees with it', async () => {
    const s = await t.rest('POST', '/plugin/v1/supervisors', {
      name: 'p',
      hostname: 'path-host',
      domain_id: 'domain-path',
    });
    const id = String(s.body['supervisor_id']);
    const mismatch = await t.rest('POST', `/plugin/v1/supervisor/${id}/register`, {
      supervisor_id: 'supervisor-ffffffffffff',
      domain_id: 'domain-path',
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body['code'], 'ERROR_INVALID_PARAMETER');
    const got = await t.rest('GET', `/plugin/v1/supervisor/${id}?domain_id=domain-path`);
    assert.equal(got.body['state'], 'PENDING');
  });

  it('reads GET list fields from the query string', async () => {
    const q = encodeURIComponent(JSON.stringify({ filter: [{ k: 'hostname', v: 'path-host' }] }));
    const listed = await t.rest(
      'GET',
      `/plugin/v1/supervisors?domain_id=domain-path&is_public=false&query=${q}`,
    );
    assert.equal(listed.status, 200);
    assert.equal(listed.body['total_count'], 1);
  });

  it('names a field update may not change', async () => {
    const s = await t.rest('POST', '/plugin/v1/supervisors', {
      name: 'u',
      hostname: 'update-host',
      domain_id: 'domain-path',
    });
    const answer = await t.rest('PUT', `/plugin/v1/supervisor/${String(s.body['supervisor_id'])}`, {
      domain_id: 'domain-path',
      hostname: 'other',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body['code'], 'ERROR_SUPERVISOR_UPDATE');
    assert.match(String(answer.body['message']), /hostname/);
  });
});
