import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../domain/errors.js';
import { hashSecret, needsRehash, verifySecret } from './secret-hash.js';

describe('supervisor secret hashes', () => {
  it('stores a versioned scrypt hash with a random salt, never the secret', async () => {
    const a = await hashSecret('s3cret-value');
    const b = await hashSecret('s3cret-value');
    assert.match(a, /^scrypt\$v1\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('s3cret'));
    assert.equal(needsRehash(a), false);
  });

  it('accepts the right secret and refuses a different, empty or longer one', async () => {
    const stored = await hashSecret('right');
    assert.equal(await verifySecret('right', stored), true);
    assert.equal(await verifySecret('right', stored), true);
    assert.equal(await verifySecret('wrong', stored), false);
    assert.equal(await verifySecret('', stored), false);
    assert.equal(await verifySecret('right ', stored), false);
  });

  it('checks hashes in the earlier unversioned format, and says they need re-hashing', async () => {
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const legacy = `scrypt$${salt.toString('hex')}$${scryptSync('old', salt, 32).toString('hex')}`;
    assert.equal(await verifySecret('old', legacy), true);
    assert.equal(await verifySecret('other', legacy), false);
    assert.equal(needsRehash(legacy), true);
  });

  it('never matches a malformed or tampered stored value', async () => {
    const stored = await hashSecret('x');
    for (const bad of [
      '',
      'x',
      'scrypt$v2$ln=15,r=8,p=1$a$b',
      stored.replace('ln=15', 'ln=30'),
      'bcrypt$abc',
    ]) {
      assert.equal(await verifySecret('x', bad), false, bad);
    }
  });

  it('refuses to hash an absurdly long secret, naming the parameter', async () => {
    await assert.rejects(
      hashSecret('x'.repeat(2000)),
      (err: unknown) => err instanceof InvalidParameterError && err.key === 'secret_key',
    );
  });

  it('pays scrypt once per secret for a steady agent (measured)', async () => {
    const stored = await hashSecret('steady');
    let t = process.hrtime.bigint();
    assert.equal(await verifySecret('steady', stored), true);
    const first = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    assert.equal(await verifySecret('steady', stored), true);
    const second = Number(process.hrtime.bigint() - t) / 1e6;
    assert.ok(second < first / 5, `first ${first} ms, second ${second} ms`);
  });
});
