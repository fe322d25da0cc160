import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InstalledPluginExistError,
  PermissionDeniedError,
  RequiredParameterError,
  SupervisorStateError,
  SupervisorUpdateError,
} from '../domain/index.js';
import { InstalledPluginRepository } from '../store/index.js';
import type { Caller } from './caller.js';
import type { Services } from './index.js';
import { openTestServices, type TestServices } from './test-services.js';

const caller: Caller = { role: 'SYSTEM', domainId: undefined, requestId: 'test' };
const domain_id = 'domain-test';

describe('supervisor service', () => {
  let opened: TestServices;
  let services: Services;

  before(async () => {
    opened = await openTestServices();
    services = opened.services;
  });
  after(() => opened.close());

  it('creates one PENDING supervisor per hostname and returns it on later publishes', async () => {
    const request = { name: 'a', hostname: 'host-a', domain_id, secret_key: 's3cret' };
    const [one, two] = await Promise.all([
      services.supervisors.publish(caller, request),
      services.supervisors.publish(caller, request),
    ]);
    assert.match(one.supervisor_id, /^supervisor-[0-9a-f]{12}$/);
    assert.equal(two.supervisor_id, one.supervisor_id);
    assert.equal(one.state, 'PENDING');
    const list = await services.supervisors.list(caller, { domain_id, name: 'a' });
    assert.equal(list.total_count, 1);
  });

  it('refuses a publish with another secret and changes nothing', async () => {
    const before = await services.supervisors.list(caller, { domain_id });
    await assert.rejects(
      services.supervisors.publish(caller, {
        name: 'evil',
        hostname: 'host-a',
        domain_id,
        secret_key: 'x',
      }),
      PermissionDeniedError,
    );
    await assert.rejects(
      services.supervisors.publish(caller, { name: 'evil', hostname: 'host-a', domain_id }),
      PermissionDeniedError,
    );
    assert.deepEqual(await services.supervisors.list(caller, { domain_id }), before);
  });

  it('registers, refuses a second register naming the state, then disables and enables', async () => {
    const s = await services.supervisors.publish(caller, {
      name: 'b',
      hostname: 'host-b',
      domain_id,
    });
    const key = { supervisor_id: s.supervisor_id, domain_id };
    assert.equal((await services.supervisors.register(caller, key)).state, 'ENABLED');
    await assert.rejects(
      services.supervisors.register(caller, key),
      (err: unknown) => err instanceof SupervisorStateError && err.message.includes('ENABLED'),
    );
    assert.equal((await services.supervisors.disable(caller, key)).state, 'DISABLED');
    assert.equal((await services.supervisors.enable(caller, key)).state, 'ENABLED');
  });

  it('names a field update may not change', async () => {
    const s = await services.supervisors.publish(caller, {
      name: 'c',
      hostname: 'host-c',
      domain_id,
    });
    await assert.rejects(
      services.supervisors.update(caller, {
        supervisor_id: s.supervisor_id,
        domain_id,
        hostname: 'x',
      }),
      (err: unknown) => err instanceof SupervisorUpdateError && err.field === 'hostname',
    );
    const updated = await services.supervisors.update(caller, {
      supervisor_id: s.supervisor_id,
      domain_id,
      priority: 3,
      tags: { env: 'prod' },
    });
    assert.equal(updated.priority, 3);
    assert.deepEqual(updated.tags, { env: 'prod' });
  });

  it('refuses to deregister while an installed plugin references the supervisor', async () => {
    const s = await services.supervisors.publish(caller, {
      name: 'd',
      hostname: 'host-d',
      domain_id,
    });
    const repo = new InstalledPluginRepository(services.store.db);
    await repo.insert({
      supervisor_id: s.supervisor_id,
      plugin_id: 'plugin-x',
      version: '1.0',
      state: 'ACTIVE',
      domain_id,
      created_at: new Date().toISOString(),
    });
    const key = { supervisor_id: s.supervisor_id, domain_id };
    await assert.rejects(
      services.supervisors.deregister(caller, key),
      (err: unknown) =>
        err instanceof InstalledPluginExistError && err.message.includes('plugin-x@1.0'),
    );

    await services.supervisors.publish(caller, {
      name: 'd',
      hostname: 'host-d',
      domain_id,
      plugin_info: [
        {
          plugin_id: 'plugin-x',
          version: '1.0',
          state: 'ACTIVE',
          endpoints: ['b:1', 'a:1', 'a:1'],
        },
        { plugin_id: 'plugin-unknown', version: '9' },
      ],
    });
    const plugins = await services.supervisors.listPlugins(caller, {
      domain_id,
      supervisor_id: s.supervisor_id,
    });
    assert.deepEqual(plugins.results[0]?.endpoints, ['a:1', 'b:1']);
    assert.equal(plugins.total_count, 1);
  });

  it('maps a missing domain_id to a required-parameter error', async () => {
    await assert.rejects(
      services.supervisors.get(caller, { supervisor_id: 'supervisor-000000000000' }),
      (err: unknown) => err instanceof RequiredParameterError && err.key === 'domain_id',
    );
  });
});
