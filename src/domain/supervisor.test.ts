import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SupervisorStateError } from './errors.js';
import { nextSupervisorState, stateAfterPublish } from './supervisor.js';

describe('supervisor state machine', () => {
  it('registers only a PENDING supervisor', () => {
    assert.equal(nextSupervisorState('register', 'supervisor-000000000001', 'PENDING'), 'ENABLED');
    for (const from of ['ENABLED', 'DISABLED', 'DISCONNECTED'] as const) {
      assert.throws(
        () => nextSupervisorState('register', 'supervisor-000000000001', from),
        (err: unknown) =>
          err instanceof SupervisorStateError &&
          err.message.includes('register') &&
          err.message.includes('supervisor-000000000001') &&
          err.message.includes(from),
      );
    }
  });

  it('enables from DISABLED or DISCONNECTED, keeps ENABLED, refuses PENDING', () => {
    assert.equal(nextSupervisorState('enable', 's', 'DISABLED'), 'ENABLED');
    assert.equal(nextSupervisorState('enable', 's', 'DISCONNECTED'), 'ENABLED');
    assert.equal(nextSupervisorState('enable', 's', 'ENABLED'), 'ENABLED');
    assert.throws(() => nextSupervisorState('enable', 's', 'PENDING'), SupervisorStateError);
  });

  it('disables from ENABLED or DISCONNECTED, keeps DISABLED, refuses PENDING', () => {
    assert.equal(nextSupervisorState('disable', 's', 'ENABLED'), 'DISABLED');
    assert.equal(nextSupervisorState('disable', 's', 'DISCONNECTED'), 'DISABLED');
    assert.equal(nextSupervisorState('disable', 's', 'DISABLED'), 'DISABLED');
    assert.throws(() => nextSupervisorState('disable', 's', 'PENDING'), SupervisorStateError);
  });

  it('brings a registered DISCONNECTED supervisor back on publish, and never touches DISABLED', () => {
    assert.equal(stateAfterPublish('DISCONNECTED', true), 'ENABLED');
    assert.equal(stateAfterPublish('DISCONNECTED', false), 'DISCONNECTED');
    assert.equal(stateAfterPublish('DISABLED', true), 'DISABLED');
    assert.equal(stateAfterPublish('PENDING', false), 'PENDING');
  });
});
