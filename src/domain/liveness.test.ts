import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stateAfterSilence } from './liveness.js';
import type { SupervisorState } from './supervisor.js';

const now = new Date('2026-12-03T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const options = { heartbeatTimeoutMs: 120_000 };
const at = (state: SupervisorState, createdAgoMs: number, seenAgoMs: number) => ({
  state,
  created_at: ago(createdAgoMs),
  last_seen_at: ago(seenAgoMs),
});

describe('liveness rule', () => {
  it('disconnects a supervisor still PENDING more than five minutes after creation', () => {
    assert.equal(stateAfterSilence(at('PENDING', 300_001, 0), now, options), 'DISCONNECTED');
    assert.equal(stateAfterSilence(at('PENDING', 300_000, 0), now, options), 'PENDING');
  });

  it('disconnects an ENABLED supervisor silent for longer than the heartbeat timeout', () => {
    assert.equal(stateAfterSilence(at('ENABLED', 9e9, 120_001), now, options), 'DISCONNECTED');
    assert.equal(stateAfterSilence(at('ENABLED', 9e9, 120_000), now, options), 'ENABLED');
  });

  it('never changes DISABLED or DISCONNECTED', () => {
    assert.equal(stateAfterSilence(at('DISABLED', 9e9, 9e9), now, options), 'DISABLED');
    assert.equal(stateAfterSilence(at('DISCONNECTED', 9e9, 9e9), now, options), 'DISCONNECTED');
  });
});
