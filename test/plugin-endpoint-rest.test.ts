/**
 * The Plugin API's REST routes (SPEC §2) on a control plane started as `serve` starts it, with
 * the default catalog (plugin-echo 1.0.0 and 1.1.0), over real HTTP on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestControlPlane, type TestControlPlane } from './support/control-plane.js';

describe('the Plugin API over REST', () => {
  let t: TestControlPlane;
  before(async () => {
    t = await startTestControlPlane();
  });
  after(() => t.stop(true));

  const domain_id = 'domain-rest';
  const getEndpoint = (body: Record<string, unknown>, pluginId = 'plugin-echo') =>
    t.rest('POST', `/plugin/v1/plugin/${pluginId}/get-endpoint`, { domain_id, ...body });

  it('answers the catalogue errors with their HTTP status and code', async () => {
    const noVersion = await getEndpoint({});
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body['code'], 'ERROR_REQUIRED_PARAMETER');

    const unknown = await getEndpoint({ version: '1.0.0' }, 'plugin-nope');
    assert.deepEqual([unknown.status, unknown.body['code']], [404, 'ERROR_PLUGIN_NOT_FOUND']);

    const badVersion = await getEndpoint({ version: '0.0.1' });
    assert.deepEqual(
      [badVersion.status, badVersion.body['code']],
      [400, 'ERROR_INVALID_PLUGIN_VERSION'],
    );

    const nobody = await getEndpoint({ version: '1.0.0', labels: { gpu: 'true' } });
    assert.deepEqual([nobody.status, nobody.body['code']], [503, 'ERROR_NO_POSSIBLE_SUPERVISOR']);
    assert.match(String(nobody.body['message']), /"gpu":"true"/);

    const clash = await getEndpoint({ version: '1.0.0', plugin_id: 'plugin-other' });
    assert.equal(clash.status, 400, 'the body may not name another plugin_id than the path');
  });

  it('deploys, waits and answers an endpoint, then takes notify_failure', async () => {
    const published = await t.rest('POST', '/plugin/v1/supervisors', {
      name: 'rest-host',
      hostname: 'rest-host',
      domain_id,
    });
    const supervisor_id = String(published.body['supervisor_id']);
    await t.rest('POST', `/plugin/v1/supervisor/${supervisor_id}/register`, { domain_id });

    const call = getEndpoint({ version: '1.1.0' });
    const deadline = Date.now() + 5000;
    for (;;) {
      const listed = await t.rest('POST', `/plugin/v1/supervisor/${supervisor_id}/plugins/search`, {
        domain_id,
      });
      if (Number(listed.body['total_count']) === 1) break;
      assert.ok(Date.now() < deadline, 'an instance should be created');
      await new Promise((r) => setTimeout(r, 20));
    }
    await t.rest('POST', '/plugin/v1/supervisors', {
      name: 'rest-host',
      hostname: 'rest-host',
      domain_id,
      plugin_info: [
        {
          plugin_id: 'plugin-echo',
          version: '1.1.0',
          state: 'ACTIVE',
          endpoints: ['grpc://127.0.0.1:7951'],
        },
      ],
    });
    const answer = await call;
    assert.equal(answer.status, 200);
    assert.equal(answer.body['endpoint'], 'grpc://127.0.0.1:7951');

    const failed = await t.rest('PUT', '/plugin/v1/plugin/plugin-echo/notify-failure', {
      supervisor_id,
      version: '1.1.0',
      domain_id,
    });
    assert.deepEqual([failed.status, failed.body], [200, {}]);
    const listed = await t.rest(
      'GET',
      `/plugin/v1/supervisor/${supervisor_id}/plugins?domain_id=${domain_id}`,
    );
    const results = listed.body['results'] as Record<string, unknown>[];
    assert.equal(results[0]?.['state'], 'ERROR');
  });

  it('stops waiting when the HTTP client disconnects', async () => {
    const published = await t.rest('POST', '/plugin/v1/supervisors', {
      name: 'rest-gone',
      hostname: 'rest-gone',
      domain_id: 'domain-rest-gone',
    });
    const supervisor_id = String(published.body['supervisor_id']);
    await t.rest('POST', `/plugin/v1/supervisor/${supervisor_id}/register`, {
      domain_id: 'domain-rest-gone',
    });

    const controller = new AbortController();
    const call = fetch(`${t.baseUrl}/plugin/v1/plugin/plugin-echo/get-endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
      body: JSON.stringify({ version: '1.0.0', domain_id: 'domain-rest-gone' }),
      signal: controller.signal,
    });
    const deadline = Date.now() + 5000;
    while (t.plane.services.plugins.waitingCalls === 0) {
      assert.ok(Date.now() < deadline, 'the call should be waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    await assert.rejects(call);
    while (t.plane.services.plugins.waitingCalls > 0) {
      assert.ok(Date.now() < deadline, 'the wait should end with the connection');
      await new Promise((r) => setTimeout(r, 20));
    }
    const after = await getEndpoint({ version: '0.0.1' });
    assert.equal(after.status, 400, 'the server keeps answering');
  });
});
