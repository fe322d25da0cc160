import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

import { TerminalError, WorkQueue, type PassHandler } from './queue.js';

const silent = pino({ level: 'silent' });

function queueWith(handler: PassHandler, options: { passTimeoutMs?: number } = {}): WorkQueue {
  return new WorkQueue({
    handler,
    logger: silent,
    initialBackoffMs: 20,
    maxBackoffMs: 80,
    ...options,
  });
}

describe('the work queue', () => {
  it('never runs two passes of a key at once, and runs once more for an add during a pass', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const queue = queueWith(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      passes += 1;
      await sleep(30);
      running -= 1;
      return {};
    });

    queue.add('k');
    await sleep(5);
    queue.add('k');
    queue.add('k');
    queue.add('k');
    await sleep(120);

    assert.equal(maxRunning, 1);
    assert.equal(passes, 2, 'the adds during the first pass collapse into one more pass');
    await queue.drain(1_000);
  });

  it('retries a failing pass with growing backoff and resets it after a clean pass', async () => {
    const times: number[] = [];
    const queue = queueWith(async () => {
      times.push(Date.now());
      if (times.length <= 3) throw new Error('control plane unreachable');
      return {};
    });

    queue.add('k');
    await sleep(250);

    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(
      gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75,
      `backoff doubles: ${gaps.join(', ')}`,
    );
    assert.equal(queue.failuresOf('k'), 0);
    await queue.drain(1_000);
  });

  it('does not retry a pass that failed with a TerminalError', async () => {
    let passes = 0;
    const queue = queueWith(async () => {
      passes += 1;
      throw new TerminalError('the secret key was refused');
    });

    queue.add('k');
    await sleep(150);

    assert.equal(passes, 1);
    await queue.drain(1_000);
  });

  it('aborts the signal of a pass that runs past the pass timeout, then retries it', async () => {
    const reasons: string[] = [];
    const queue = queueWith(
      async (_key, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        reasons.push(String((signal.reason as Error).message));
        if (reasons.length === 1) throw signal.reason;
        return {};
      },
      { passTimeoutMs: 30 },
    );

    queue.add('k');
    await sleep(150);

    assert.match(reasons[0] ?? '', /pass timed out after 30 ms/);
    assert.ok(reasons.length >= 2, 'retried');
    await queue.drain(1_000);
  });

  it('schedules the next pass after requeueAfterMs', async () => {
    let passes = 0;
    const queue = queueWith(async () => {
      passes += 1;
      return passes === 1 ? { requeueAfterMs: 40 } : {};
    });

    queue.add('k');
    await sleep(20);
    assert.equal(passes, 1);
    await sleep(60);

    assert.equal(passes, 2);
    await queue.drain(1_000);
  });

  it('waits for the pass in progress on drain and takes no work afterwards', async () => {
    let finished = false;
    let passes = 0;
    const queue = queueWith(async () => {
      passes += 1;
      await sleep(50);
      finished = true;
      return {};
    });
    queue.add('k');
    await sleep(5);

    assert.equal(await queue.drain(1_000), true);

    assert.equal(finished, true);
    queue.add('k');
    await sleep(20);
    assert.equal(passes, 1);
  });

  it('reports false and aborts the pass when it outlives the drain deadline', async () => {
    let aborted = false;
    const queue = queueWith(async (_key, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      aborted = true;
      return {};
    });
    queue.add('k');
    await sleep(5);

    assert.equal(await queue.drain(30), false);
    await sleep(5);
    assert.equal(aborted, true);
  });
});
