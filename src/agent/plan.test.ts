import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ObservedInstance } from './backends/backend.js';
import {
  plan,
  reportedRevision,
  type Action,
  type DesiredPlugin,
  type DesiredRead,
} from './plan.js';

const T0 = '2026-12-03T10:00:00.000Z';
const T1 = '2026-12-03T10:05:00.000Z';
const R1 = '1';
const R2 = '2';

/** A desired entry at desired revision `revision` (1 or 2: R1, R2; 0: a control plane without). */
function desired(id: string, state: DesiredPlugin['state'], revision = 1): DesiredPlugin {
  const [plugin_id = '', version = ''] = id.split('@');
  return { plugin_id, version, state, revision, updated_at: revision === 2 ? T1 : T0 };
}

function observed(id: string, state: ObservedInstance['state'], revision = R1): ObservedInstance {
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
    actions: [{ type: 'create', key: key('a@1'), revision: R1 }],
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
      { type: 'create', key: key('a@2'), revision: R1 },
    ],
  },
  {
    name: 'recreates an instance the control plane moved to RE_PROVISIONING after it was created',
    desired: known(desired('a@1', 'RE_PROVISIONING', 2)),
    observed: [observed('a@1', 'ACTIVE', R1)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: R2, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'does not recreate twice for the same RE_PROVISIONING revision',
    desired: known(desired('a@1', 'RE_PROVISIONING', 2)),
    observed: [observed('a@1', 'PROVISIONING', R2)],
    actions: [],
  },
  {
    name: 'recreates a running instance a client reported failed (desired ERROR)',
    desired: known(desired('a@1', 'ERROR', 2)),
    observed: [observed('a@1', 'ACTIVE', R1)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: R2, because: 'ERROR' }],
  },
  {
    name: 'does not recreate for the same ERROR revision twice',
    desired: known(desired('a@1', 'ERROR', 2)),
    observed: [observed('a@1', 'ACTIVE', R2)],
    actions: [],
  },
  {
    name: 'leaves an instance that kept crashing in ERROR when the control plane echoes ERROR back',
    desired: known(desired('a@1', 'ERROR', 2)),
    observed: [observed('a@1', 'ERROR', R1)],
    actions: [],
  },
  {
    name: 'recreates an instance in ERROR when recover_plugin asks for it',
    desired: known(desired('a@1', 'RE_PROVISIONING', 2)),
    observed: [observed('a@1', 'ERROR', R1)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: R2, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'creates a missing instance even when its desired state is ERROR or RE_PROVISIONING',
    desired: known(desired('a@1', 'ERROR', 2), desired('b@1', 'RE_PROVISIONING', 2)),
    observed: [],
    actions: [
      { type: 'create', key: key('a@1'), revision: R2 },
      { type: 'create', key: key('b@1'), revision: R2 },
    ],
  },
  {
    name: 'uses the latest entry when the control plane lists one instance twice',
    desired: known(desired('a@1', 'ACTIVE', 1), desired('a@1', 'RE_PROVISIONING', 2)),
    observed: [observed('a@1', 'ACTIVE', R1)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: R2, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'orders deletes, then recreates, then creates, each by key',
    desired: known(
      desired('z@1', 'PROVISIONING'),
      desired('b@1', 'PROVISIONING'),
      desired('r@1', 'RE_PROVISIONING', 2),
    ),
    observed: [observed('y@1', 'ACTIVE'), observed('r@1', 'ACTIVE'), observed('x@1', 'ACTIVE')],
    actions: [
      { type: 'delete', key: key('x@1') },
      { type: 'delete', key: key('y@1') },
      { type: 'recreate', key: key('r@1'), revision: R2, because: 'RE_PROVISIONING' },
      { type: 'create', key: key('b@1'), revision: R1 },
      { type: 'create', key: key('z@1'), revision: R1 },
    ],
  },
  {
    name: 'recreates for a newer desired revision even when updated_at did not move',
    desired: known({ ...desired('a@1', 'RE_PROVISIONING', 2), updated_at: T0 }),
    observed: [observed('a@1', 'ACTIVE', R1)],
    actions: [{ type: 'recreate', key: key('a@1'), revision: R2, because: 'RE_PROVISIONING' }],
  },
  {
    name: 'uses the desired updated_at as the revision when the control plane sends none',
    desired: known(desired('a@1', 'PROVISIONING', 0)),
    observed: [],
    actions: [{ type: 'create', key: key('a@1'), revision: T0 }],
  },
  {
    name: 'recreates once per updated_at when the control plane sends no revision',
    desired: known({ ...desired('a@1', 'RE_PROVISIONING', 0), updated_at: T1 }),
    observed: [observed('a@1', 'ACTIVE', T0), observed('b@1', 'ACTIVE', T1)],
    actions: [
      { type: 'delete', key: key('b@1') },
      { type: 'recreate', key: key('a@1'), revision: T1, because: 'RE_PROVISIONING' },
    ],
  },
  {
    name: 'does not recreate when the revision is unchanged though updated_at moved',
    desired: known({
      ...desired('a@1', 'RE_PROVISIONING', 2),
      updated_at: '2026-12-03T11:00:00.000Z',
    }),
    observed: [observed('a@1', 'PROVISIONING', R2)],
    actions: [],
  },
];

describe('plan(desired, observed)', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(plan(c.desired, c.observed), c.actions);
    });
  }
});

describe('reportedRevision(instance)', () => {
  it('echoes a desired revision stored as decimal text', () => {
    assert.equal(reportedRevision(observed('a@1', 'ACTIVE', '7')), 7);
  });

  it('reports 0 for a revision that is a time or not a positive integer', () => {
    for (const revision of [T0, '', '0', '-1', '1.5', '01', 'r1']) {
      assert.equal(reportedRevision(observed('a@1', 'ACTIVE', revision)), 0, revision);
    }
  });
});
