import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStillProcess } from './process-identity.js';

const recorded = { pid: 4242, startTime: '844128', cmdline: ['node', 'server.js'] };

describe('process identity', () => {
  it('recognises the recorded process by pid, start time and command line', () => {
    assert.equal(isStillProcess({ ...recorded }, recorded), true);
  });

  it('still recognises it while it exits and its command line reads empty', () => {
    assert.equal(isStillProcess({ ...recorded, cmdline: [] }, recorded), true);
  });

  it('does not take a recycled pid for the recorded process', () => {
    assert.equal(isStillProcess({ ...recorded, startTime: '999999' }, recorded), false);
    assert.equal(
      isStillProcess({ ...recorded, startTime: '999999', cmdline: [] }, recorded),
      false,
    );
    assert.equal(isStillProcess({ ...recorded, cmdline: ['node', 'other.js'] }, recorded), false);
  });
});
