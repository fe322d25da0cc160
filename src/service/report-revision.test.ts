import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCatalog } from '../catalog/index.js';
import { InvalidParameterError, type InstalledPlugin } from '../domain/index.js';
import type { Caller } from './caller.js';
import type { Services } from './index.js';
import { openTestServices, type TestServices } from './test-services.js';

const SYSTEM: Caller = { role: 'SYSTEM', domainId: undefined, requestId: 't' };
const CATALOG = parseCatalog(`
plugins:
  plugin-echo: { name: Echo, resource_type: x, versions: ['1.0.0'], process: { command: node } }
`);
const ECHO = { plugin_id: 'plugin-echo', version: '1.0.0' };

/**
 * The recover/report race (issue #5), replayed deterministically: a publish the agent sent before
 * the control plane changed its mind arrives after the change, carrying the old revision.
 */
describe('publish reports against the desired revision', () => {
  let opened: TestServices;
  let services: Services;
  before(async () => {
    opened = await openTestServices({ catalog: CATALOG, installTimeoutMs: 5000 });
    services = opened.services;
  });
  after(() => opened.close());

  /** A registered supervisor running an ACTIVE plugin-echo at revision 1, in its own domain. */
  async function activeInstance(
    name: string,
  ): Promise<{ domain_id: string; supervisor_id: string }> {
    const domain_id = `domain-${name}`;
    const { supervisor_id } = await services.supervisors.publish(SYSTEM, {
      name,
      hostname: name,
      domain_id,
    });
    await services.supervisors.register(SYSTEM, { supervisor_id, domain_id });
    const call = services.plugins.getPluginEndpoint(SYSTEM, { ...ECHO, domain_id });
    await until(async () => (await instance(domain_id, supervisor_id))?.state === 'PROVISIONING');
    assert.equal((await instance(domain_id, supervisor_id))?.revision, 1, 'created at revision 1');
    await report(name, domain_id, { state: 'ACTIVE', endpoints: [endpoint(name, 1)], revision: 1 });
    assert.equal((await call).endpoint, endpoint(name, 1));
    return { domain_id, supervisor_id };
  }

  function report(name: string, domain_id: string, info: Record<string, unknown>) {
    return services.supervisors.publish(SYSTEM, {
      name,
      hostname: name,
      domain_id,
      plugin_info: [{ ...ECHO, ...info }],
    });
  }

  async function instance(
    domain_id: string,
    supervisor_id: string,
  ): Promise<Partial<InstalledPlugin> | undefined> {
    const page = await services.supervisors.listPlugins(SYSTEM, { supervisor_id, domain_id });
    return page.results[0];
  }

  it('keeps RE_PROVISIONING when a report of the old revision lands after recover_plugin', async () => {
    const { domain_id, supervisor_id } = await activeInstance('recover');

    const recovered = await services.supervisors.recoverPlugin(SYSTEM, {
      ...ECHO,
      supervisor_id,
      domain_id,
    });
    assert.equal(recovered.state, 'RE_PROVISIONING');
    assert.equal(recovered.revision, 2);
    await report('recover', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('recover', 1)],
      revision: 1,
    });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'RE_PROVISIONING');

    await report('recover', domain_id, { state: 'PROVISIONING', endpoints: [], revision: 2 });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'PROVISIONING');
    await report('recover', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('recover', 2)],
      revision: 2,
    });
    const after = await instance(domain_id, supervisor_id);
    assert.equal(after?.state, 'ACTIVE');
    assert.deepEqual(after?.endpoints, [endpoint('recover', 2)]);
    assert.equal(after?.revision, 2, 'an agent report never bumps the revision');
  });

  it('keeps ERROR when a report of the old revision lands after notify_failure', async () => {
    const { domain_id, supervisor_id } = await activeInstance('notify');

    await services.plugins.notifyFailure(SYSTEM, { ...ECHO, supervisor_id, domain_id });
    assert.equal((await instance(domain_id, supervisor_id))?.revision, 2);
    await report('notify', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('notify', 9)],
      error_message: '',
      revision: 1,
    });
    const stale = await instance(domain_id, supervisor_id);
    assert.equal(stale?.state, 'ERROR');
    assert.deepEqual(stale?.endpoints, [endpoint('notify', 1)], 'nothing of the stale report');

    await report('notify', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('notify', 2)],
      revision: 2,
    });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'ACTIVE');
  });

  it('bumps the revision when get_plugin_endpoint sends an ERROR instance to recovery', async () => {
    const { domain_id, supervisor_id } = await activeInstance('reuse');
    await report('reuse', domain_id, {
      state: 'ERROR',
      endpoints: [],
      error_message: 'exited with code 3',
      revision: 1,
    });
    const failed = await instance(domain_id, supervisor_id);
    assert.equal(failed?.state, 'ERROR');
    assert.equal(failed?.revision, 1);

    const call = services.plugins.getPluginEndpoint(SYSTEM, { ...ECHO, domain_id });
    await until(async () => (await instance(domain_id, supervisor_id))?.revision === 2);
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'RE_PROVISIONING');
    await report('reuse', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('reuse', 1)],
      revision: 1,
    });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'RE_PROVISIONING');
    await report('reuse', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('reuse', 2)],
      revision: 2,
    });
    assert.equal((await call).endpoint, endpoint('reuse', 2));
  });

  it('lets a report without a revision bring RE_PROVISIONING back to ACTIVE only with new endpoints', async () => {
    const { domain_id, supervisor_id } = await activeInstance('legacy');
    await services.supervisors.recoverPlugin(SYSTEM, { ...ECHO, supervisor_id, domain_id });

    await report('legacy', domain_id, { state: 'ACTIVE', endpoints: [endpoint('legacy', 1)] });
    await report('legacy', domain_id, { state: 'ACTIVE', endpoint: endpoint('legacy', 1) });
    await report('legacy', domain_id, { state: 'ACTIVE', revision: 0 });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'RE_PROVISIONING');

    await report('legacy', domain_id, { state: 'ACTIVE', endpoints: [endpoint('legacy', 2)] });
    const recovered = await instance(domain_id, supervisor_id);
    assert.equal(recovered?.state, 'ACTIVE');
    assert.deepEqual(recovered?.endpoints, [endpoint('legacy', 2)]);
  });

  it('applies reports without a revision that do not bring ERROR back to ACTIVE unchanged', async () => {
    const { domain_id, supervisor_id } = await activeInstance('legacy-error');
    await services.plugins.notifyFailure(SYSTEM, { ...ECHO, supervisor_id, domain_id });

    await report('legacy-error', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('legacy-error', 1)],
    });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'ERROR');
    await report('legacy-error', domain_id, { state: 'PROVISIONING', endpoints: [] });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'PROVISIONING');
    await report('legacy-error', domain_id, {
      state: 'ACTIVE',
      endpoints: [endpoint('legacy-error', 1)],
    });
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'ACTIVE');
  });

  it('rejects a negative revision and changes nothing', async () => {
    const { domain_id, supervisor_id } = await activeInstance('negative');
    await assert.rejects(
      report('negative', domain_id, { state: 'ERROR', revision: -1 }),
      (err: unknown) =>
        err instanceof InvalidParameterError && /plugin_info\[0\]\.revision/.test(err.message),
    );
    assert.equal((await instance(domain_id, supervisor_id))?.state, 'ACTIVE');
  });
});

function endpoint(name: string, n: number): string {
  return `grpc://127.0.0.1:${9000 + n}/${name}`;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 3 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
