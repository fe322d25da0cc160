import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretVerifier, hashSecret, verifySecret } from './secret.js';

describe('secret hashing', () => {
  it('stores a salted hash that matches only the same secret', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    assert.notEqual(a, b, 'salts differ');
    assert.ok(!a.includes('s3cret'));
    assert.equal(await verifySecret('s3cret', a), true);
    assert.equal(await verifySecret('s3cret!', a), false);
    assert.equal(await verifySecret('s3cret', 'not-a-hash'), false);
  });

  it('remembers a verified secret but never a wrong one', async () => {
    const verifier = new SecretVerifier(1);
    const stored = await hashSecret('agent-key');
    assert.equal(await verifier.verify('wrong', stored), false);
    assert.equal(await verifier.verify('agent-key', stored), true);
    assert.equal(await verifier.verify('agent-key', stored), true);
    assert.equal(await verifier.verify('wrong', stored), false);

    const other = await hashSecret('other-key');
    assert.equal(await verifier.verify('other-key', other), true);
    assert.equal(await verifier.verify('agent-key', other), false);
    assert.equal(
      await verifier.verify('agent-key', stored),
      true,
      'evicted entries are checked again',
    );
  });
});
