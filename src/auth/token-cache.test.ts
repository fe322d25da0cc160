import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthenticateFailureError } from '../domain/errors.js';
import type { Clock } from '../domain/time.js';
import { keysDirOf, loadOrCreateKeys, rotateSigningKey, type KeyRing } from './keys.js';
import { VerifiedTokenCache } from './token-cache.js';
import { mintToken } from './tokens.js';

let dir: string;
let keys: KeyRing;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pv-token-cache-'));
  keys = await loadOrCreateKeys(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

/** A clock the test moves by hand. */
function manualClock(start: string): Clock & { advance(ms: number): void } {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

describe('remembering verified tokens', () => {
  it('answers a repeated token from memory with the same claims', async () => {
    const cache = new VerifiedTokenCache();
    const token = await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId: 'domain-a' });
    const clock = manualClock(new Date().toISOString());

    const first = await cache.verify(keys, token, clock);
    const second = await cache.verify(keys, token, clock);
    assert.equal(cache.size, 1);
    assert.equal(second, first, 'the remembered result is returned as it is');
    assert.equal(second.domainId, 'domain-a');
  });

  it('refuses a remembered token once its exp has passed, by the injected clock', async () => {
    const cache = new VerifiedTokenCache();
    const clock = manualClock('2026-03-01T00:00:00.000Z');
    const token = await mintToken(keys, { role: 'SYSTEM' }, { expiresIn: '60s', clock });
    await cache.verify(keys, token, clock);

    clock.advance(60_000 + 4_000);
    await cache.verify(keys, token, clock); // still within the 5 s tolerance, as a full check
    clock.advance(1_000);
    await assert.rejects(
      cache.verify(keys, token, clock),
      (err: unknown) => err instanceof AuthenticateFailureError && /expired/.test(err.message),
    );
    assert.equal(cache.size, 0, 'the expired entry is dropped');
  });

  it('stops accepting a token whose key file was removed, at the key-ring reload', async () => {
    const ownDir = await mkdtemp(join(tmpdir(), 'pv-token-cache-rot-'));
    try {
      const ring = await loadOrCreateKeys(ownDir);
      const cache = new VerifiedTokenCache();
      const clock = manualClock(new Date().toISOString());
      const oldKid = ring.signing.kid;
      const token = await mintToken(ring, { role: 'SYSTEM' });
      await cache.verify(ring, token, clock);

      await rotateSigningKey(ownDir);
      await unlink(join(keysDirOf(ownDir), `${oldKid}.pem`));
      await cache.verify(ring, token, clock); // not reloaded yet: the server still trusts it
      await ring.reload();
      await assert.rejects(cache.verify(ring, token, clock), /unknown key/);
    } finally {
      await rm(ownDir, { recursive: true, force: true });
    }
  });

  it('keeps at most its size, forgets refused tokens, and keeps nothing with size 0', async () => {
    const cache = new VerifiedTokenCache(2);
    const clock = manualClock(new Date().toISOString());
    for (const domainId of ['d1', 'd2', 'd3']) {
      await cache.verify(keys, await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId }), clock);
    }
    assert.equal(cache.size, 2);

    await assert.rejects(cache.verify(keys, 'not.a.token', clock), AuthenticateFailureError);
    assert.equal(cache.size, 2);

    const none = new VerifiedTokenCache(0);
    await none.verify(keys, await mintToken(keys, { role: 'SYSTEM' }), clock);
    assert.equal(none.size, 0);
  });
});
