import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { startTestControlPlane, type TestControlPlane } from './support/control-plane.js';

// Requests an adversarial tester found answered 500 (or stalled the server): each must be a
// client error naming what is wrong, and the server must keep answering.

const DOMAIN = 'domain-hostile';
let t: TestControlPlane;

before(async () => {
  t = await startTestControlPlane();
  const published = await t.rest('POST', '/plugin/v1/supervisors', {
    name: 'a'.repeat(40) + '!',
    hostname: 'hostile.example.com',
    domain_id: DOMAIN,
  });
  assert.equal(published.status, 200);
});
after(async () => {
  await t.stop(true);
});

async function search(query: unknown) {
  return t.rest('POST', '/plugin/v1/supervisors/search', { domain_id: DOMAIN, query });
}

describe('hostile requests to the control plane', () => {
  it('refuses tags nested thousands of levels deep instead of overflowing the stack', async () => {
    const deep = '{"b":'.repeat(5000) + '1' + '}'.repeat(5000);
    const answer = await t.rest(
      'POST',
      '/plugin/v1/supervisors',
      `{"name":"deep","hostname":"deep.example.com","domain_id":"${DOMAIN}","tags":{"a":${deep}}}`,
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.body['code'], 'ERROR_INVALID_PARAMETER');
    assert.match(String(answer.body['message']), /tags.*nests deeper than 32/);
  });

  it('refuses an in list too long for one SQL statement', async () => {
    const values = Array.from({ length: 40_000 }, (_, i) => `n${i}`);
    const answer = await search({ filter: [{ k: 'name', v: values, o: 'in' }] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body['code'], 'ERROR_INVALID_QUERY');
    assert.match(String(answer.body['message']), /at most 10000/);
  });

  it('refuses thousands of conditions and keywords', async () => {
    const many = await search({ filter: Array(2000).fill({ k: 'name', v: 'x' }) });
    assert.equal(many.status, 400);
    assert.match(String(many.body['message']), /query\.filter.*at most 100/);
    const words = await search({ keyword: Array(5000).fill('w').join(' ') });
    assert.equal(words.status, 400);
    assert.match(String(words.body['message']), /query\.keyword.*at most 32/);
  });

  it('refuses a catastrophic regex quickly and keeps answering', async () => {
    const started = Date.now();
    const answer = await search({ filter: [{ k: 'name', v: '^(a+)+$', o: 'regex' }] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body['code'], 'ERROR_INVALID_QUERY');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    const ok = await search({ filter: [{ k: 'name', v: '^a+!$', o: 'regex' }] });
    assert.equal(ok.status, 200);
    assert.equal(ok.body['total_count'], 1);
  });

  it('refuses a stat project that excludes every column', async () => {
    const answer = await t.rest('POST', '/plugin/v1/supervisors/stat', {
      domain_id: DOMAIN,
      query: { aggregate: [{ count: { name: 'n' } }, { project: { exclude_keys: ['n'] } }] },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body['code'], 'ERROR_INVALID_QUERY');
  });

  it('answers undecodable bytes to Plugin/get_plugin_endpoint with INVALID_ARGUMENT', async () => {
    const client = new Client(t.plane.grpcAddress, credentials.createInsecure());
    try {
      const metadata = new Metadata();
      metadata.set('token', t.token);
      const failure = await new Promise<ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          '/spaceone.api.plugin.v1.Plugin/get_plugin_endpoint',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
          metadata,
          (err) => resolve(err),
        );
      });
      assert.equal(failure?.code, status.INVALID_ARGUMENT, failure?.details);
      assert.match(failure?.details ?? '', /^ERROR_INVALID_PARAMETER: .*PluginEndpointRequest/);
    } finally {
      client.close();
    }
  });

  it('answers undecodable bytes to AgentChannel/watch with INVALID_ARGUMENT', async () => {
    const client = new Client(t.plane.grpcAddress, credentials.createInsecure());
    try {
      const metadata = new Metadata();
      metadata.set('token', t.token);
      const failure = await new Promise<ServiceError>((resolve) => {
        const stream = client.makeServerStreamRequest(
          '/plugvisor.v1.AgentChannel/watch',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
          metadata,
        );
        stream.on('data', () => {});
        stream.on('error', (err: ServiceError) => resolve(err));
      });
      assert.equal(failure.code, status.INVALID_ARGUMENT, failure.details);
      assert.match(failure.details, /^ERROR_INVALID_PARAMETER: .*WatchRequest/);
    } finally {
      client.close();
    }
  });
});
