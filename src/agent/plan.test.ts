import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ObservedInstance } from './backends/backend.js';
import { plan, type Action, type DesiredPlugin, type DesiredRead } from './plan.js';

const T0 = '2026-12-03T10:00:00.000Z';
const T1 = '2026-12-03T10:05:00.000Z';

function desired(id: string, state: DesiredPlugin['state'], updated_at = T0): DesiredPlugin {
  const [plugin_id = '', version = ''] = id.split('@');
  return { plugin_id, version, state, updated_at };
}

function observed(id: string, state: ObservedInstance['state'], revision = T0): ObservedInstance {
  const [plugin_id = '', version = ''] = id.split('@');
  const endpoint = state === 'ACTIVE' ? 'grpc://127.0.0.1:50051' : '';
  return {
    plugin_id,
    version,
    state,
    endpoint,
    endpoints: endpoint === '' ? [] : [endpoint],
    revision,
    startedAt: new Date(T0),
    errorMessage: state === 'ERROR' ? 'exited with code 1' : '',
  };
}

function known(...plugins: DesiredPlugin[]): DesiredRead {
  return { ok: true, plugins };
}

const key = (id: string) => {
  const [plugin_id = '', version = ''] = id.split('@');
  return { plugin_id, version };
};

const cases: {
  name: string;
  desired: DesiredRead;
  observed: ObservedInstance[];
  actions: Action[];
}[] = [
  {
    name: 'plans nothing when nothing is desired and nothing runs',
    desired: known(),
    observed: [],
    actions: [],
  },
  {
    name: 'creates a desired instance that does not run, with the desired revision',
    desired: known(desired('a@1', 'PROVISIONING')),
    observed: [],
    actions: [{ type: 'create', key: key('a@1'), revision: T0 }],
  },
  {
    name: 'deletes an instance that runs and is not desired',
    desired: known(),
    observed: [observed('a@1', 'ACTIVE')],
    actions: [{ type: 'delete', key: key('a@1') }],
  },
  {
    name: 'never acts on a failed desired read, not even to delete',
    desired: { ok: false, reason: 'UNAVAILABLE: connection refused' },
    observed: [observed('a@1', 'ACTIVE'), observed('b@1', 'ERROR')],
    actions: [],
  },
  {
    name: 'leaves a desired instance that runs alone, whatever its observed state',
    desired: known(
      desired('a@1', 'ACTIVE'),
      desired('b@1', 'PROVISIONING'),
      desired('c@1', 'ACTIVE'),
    ),
    observed: [
      observed('a@1', 'ACTIVE'),
      observed('b@1', 'PROVISIONING'),
      observed('c@1', 'ERROR'),
    ],
    actions: [],
  },
  {
    name: 'treats versions of one plugin as different instances',
    desired: known(desired('a@2', 'PROVISIONING')),
    observed: [observed('a@1', 'ACTIVE')],
    actions: [
      { type: 'delete', key: key('a@1') },
      { type: 'create', key: key('a@2'), revision: T0 },
    ],
  },
  {
    name: 'recreates an instance the control plane moved to RE_PROVISIONING after it was created',
    desired: known(desired('a@1', 'RE_PROVISIONING', T1)),
    observed: [observed('a@1', 'ACTIVE', T0)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: T1, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'does not recreate twice for the same RE_PROVISIONING revision',
    desired: known(desired('a@1', 'RE_PROVISIONING', T1)),
    observed: [observed('a@1', 'PROVISIONING', T1)],
    actions: [],
  },
  {
    name: 'recreates a running instance a client reported failed (desired ERROR)',
    desired: known(desired('a@1', 'ERROR', T1)),
    observed: [observed('a@1', 'ACTIVE', T0)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: T1, because: 'ERROR' }],
  },
  {
    name: 'does not recreate for the same ERROR revision twice',
    desired: known(desired('a@1', 'ERROR', T1)),
    observed: [observed('a@1', 'ACTIVE', T1)],
    actions: [],
  },
  {
    name: 'leaves an instance that kept crashing in ERROR when the control plane echoes ERROR back',
    desired: known(desired('a@1', 'ERROR', T1)),
    observed: [observed('a@1', 'ERROR', T0)],
    actions: [],
  },
  {
    name: 'recreates an instance in ERROR when recover_plugin asks for it',
    desired: known(desired('a@1', 'RE_PROVISIONING', T1)),
    observed: [observed('a@1', 'ERROR', T0)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: T1, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'creates a missing instance even when its desired state is ERROR or RE_PROVISIONING',
    desired: known(desired('a@1', 'ERROR', T1), desired('b@1', 'RE_PROVISIONING', T1)),
    observed: [],
    actions: [
      { type: 'create', key: key('a@1'), revision: T1 },
      { type: 'create', key: key('b@1'), revision: T1 },
    ],
  },
  {
    name: 'uses the latest entry when the control plane lists one instance twice',
    desired: known(desired('a@1', 'ACTIVE', T0), desired('a@1', 'RE_PROVISIONING', T1)),
    observed: [observed('a@1', 'ACTIVE', T0)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: T1, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'orders deletes, then recreates, then creates, each by key',
    desired: known(
      desired('z@1', 'PROVISIONING'),
      desired('b@1', 'PROVISIONING'),
      desired('r@1', 'RE_PROVISIONING', T1),
    ),
    observed: [observed('y@1', 'ACTIVE'), observed('r@1', 'ACTIVE'), observed('x@1', 'ACTIVE')],
    actions: [
      { type: 'delete', key: key('x@1') },
      { type: 'delete', key: key('y@1') },
      { type: 'recreate', key: key('r@1'), revision: T1, because: 'RE_PROVISIONING' },
      { type: 'create', key: key('b@1'), revision: T0 },
      { type: 'create', key: key('z@1'), revision: T0 },
    ],
  },
];

describe('plan(desired, observed)', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(plan(c.desired, c.observed), c.actions);
    });
  }
});
