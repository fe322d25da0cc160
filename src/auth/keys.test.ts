import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keysDirOf, loadOrCreateKeys, rotateSigningKey } from './keys.js';
import { mintToken, verifyToken } from './tokens.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pv-keys-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('signing keys in the data dir', () => {
  it('creates an Ed25519 key on first start with a 0700 folder and 0600 files', async () => {
    const dataDir = await tempDir();
    const keys = await loadOrCreateKeys(dataDir);

    assert.equal(keys.signing.alg, 'EdDSA');
    assert.match(keys.signing.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await modeOf(keysDirOf(dataDir)), 0o700);
    const files = (await readdir(keysDirOf(dataDir))).sort();
    assert.deepEqual(files, [`${keys.signing.kid}.pem`, 'current'].sort());
    for (const file of files) assert.equal(await modeOf(join(keysDirOf(dataDir), file)), 0o600);
  });

  it('reuses the same key on the next start', async () => {
    const dataDir = await tempDir();
    const first = await loadOrCreateKeys(dataDir);
    const second = await loadOrCreateKeys(dataDir);
    assert.equal(second.signing.kid, first.signing.kid);
  });

  it('agrees on one key when two processes start at once on a new data dir', async () => {
    const dataDir = await tempDir();
    const rings = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateKeys(dataDir)));
    const current = (await readFile(join(keysDirOf(dataDir), 'current'), 'utf8')).trim();
    for (const ring of rings) {
      // Every ring may sign with a key the others accept after a reload.
      await ring.reload();
      assert.equal(ring.signing.kid, current);
    }
  });

  it('creates an ES256 key when asked', async () => {
    const keys = await loadOrCreateKeys(await tempDir(), { algorithm: 'ES256' });
    assert.equal(keys.signing.alg, 'ES256');
  });

  it('refuses a key file that other users can read, naming the file', async () => {
    const dataDir = await tempDir();
    const keys = await loadOrCreateKeys(dataDir);
    const file = join(keysDirOf(dataDir), `${keys.signing.kid}.pem`);
    await chmod(file, 0o644);
    await assert.rejects(
      loadOrCreateKeys(dataDir),
      (err: Error) => err.message.includes(file) && err.message.includes('644'),
    );
  });

  it('reports a missing current key instead of silently creating another', async () => {
    const dataDir = await tempDir();
    const keys = await loadOrCreateKeys(dataDir);
    await unlink(join(keysDirOf(dataDir), `${keys.signing.kid}.pem`));
    await assert.rejects(loadOrCreateKeys(dataDir), /is missing/);
  });
});

describe('key rotation', () => {
  it('signs with the new key and keeps accepting the previous one until its file is removed', async () => {
    const dataDir = await tempDir();
    const keys = await loadOrCreateKeys(dataDir);
    const oldToken = await mintToken(keys, { role: 'SYSTEM' });

    const { kid, previousKid } = await rotateSigningKey(dataDir);
    assert.equal(previousKid, keys.signing.kid);
    await keys.reload();
    assert.equal(keys.signing.kid, kid);
    assert.deepEqual(keys.kids(), [kid, previousKid]);
    assert.equal((await verifyToken(keys, oldToken)).role, 'SYSTEM');
    const newToken = await mintToken(keys, { role: 'SYSTEM' });
    assert.equal((await verifyToken(keys, newToken)).role, 'SYSTEM');

    await unlink(join(keysDirOf(dataDir), `${previousKid}.pem`));
    await keys.reload();
    await assert.rejects(verifyToken(keys, oldToken), /unknown key/);
    assert.equal((await verifyToken(keys, newToken)).role, 'SYSTEM');
  });

  it('keeps its keys when a reload fails', async () => {
    const dataDir = await tempDir();
    const keys = await loadOrCreateKeys(dataDir);
    const token = await mintToken(keys, { role: 'SYSTEM' });
    await writeFile(join(keysDirOf(dataDir), 'current'), 'garbage\n');
    await assert.rejects(keys.reload(), /does not hold a key id/);
    assert.equal((await verifyToken(keys, token)).role, 'SYSTEM');
  });
});

describe('configured keys', () => {
  it('signs with a configured PEM key and accepts configured previous keys', async () => {
    const dir = await tempDir();
    const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const previous = generateKeyPairSync('ed25519');
    const signingKeyFile = join(dir, 'signing.pem');
    const previousFile = join(dir, 'previous.pub.pem');
    // A mounted secret is often 0644; configured keys are not mode-checked.
    await writeFile(signingKeyFile, current.privateKey.export({ format: 'pem', type: 'sec1' }), {
      mode: 0o644,
    });
    await writeFile(previousFile, previous.publicKey.export({ format: 'pem', type: 'spki' }));

    const keys = await loadOrCreateKeys(join(dir, 'unused'), {
      signingKeyFile,
      verificationKeyFiles: [previousFile],
    });
    assert.equal(keys.signing.alg, 'ES256');
    assert.equal(keys.kids().length, 2);
    await assert.rejects(stat(join(dir, 'unused')), /ENOENT/);
  });

  it('refuses an RSA key, naming the file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'rsa.pem');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(file, rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await assert.rejects(
      loadOrCreateKeys(dir, { signingKeyFile: file }),
      (err: Error) => err.message.includes(file) && err.message.includes('Ed25519'),
    );
  });
});
