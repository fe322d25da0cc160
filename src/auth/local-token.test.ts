import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Clock } from '../domain/time.js';
import { keysDirOf, loadOrCreateKeys, rotateSigningKey } from './keys.js';
import { ensureLocalToken, readLocalToken, resolveClientToken } from './local-token.js';
import { verifyToken } from './tokens.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pv-local-token-'));
  dirs.push(d);
  return d;
}

describe('the local system token', () => {
  it('is written once as a 0600 file holding a SYSTEM token, then reused', async () => {
    const dataDir = await tempDir();
    const first = await ensureLocalToken(dataDir);
    assert.equal(first.minted, true);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);
    assert.equal(await readLocalToken(dataDir), first.token);
    const keys = await loadOrCreateKeys(dataDir);
    assert.equal((await verifyToken(keys, first.token)).role, 'SYSTEM');

    const second = await ensureLocalToken(dataDir);
    assert.equal(second.minted, false);
    assert.equal(second.token, first.token);
  });

  it('is renewed when it nears expiry or its key was removed', async () => {
    const dataDir = await tempDir();
    const first = await ensureLocalToken(dataDir);
    const nearExpiry: Clock = { now: () => new Date(Date.now() + 365 * 86_400_000 - 3_600_000) };
    const renewed = await ensureLocalToken(dataDir, { clock: nearExpiry });
    assert.equal(renewed.minted, true);

    const { previousKid } = await rotateSigningKey(dataDir);
    await unlink(join(keysDirOf(dataDir), `${previousKid}.pem`));
    const afterRemoval = await ensureLocalToken(dataDir);
    assert.equal(afterRemoval.minted, true);
    assert.notEqual(afterRemoval.token, first.token);
  });

  it('is what a client command uses unless a flag or PLUGVISOR_TOKEN says otherwise', async () => {
    const dataDir = await tempDir();
    assert.equal(await resolveClientToken({ dataDir, env: {} }), undefined);
    await writeFile(join(dataDir, 'token'), 'from-file\n', { mode: 0o600 });
    assert.equal(await resolveClientToken({ dataDir, env: {} }), 'from-file');
    assert.equal(
      await resolveClientToken({ dataDir, env: { PLUGVISOR_TOKEN: 'from-env' } }),
      'from-env',
    );
    assert.equal(
      await resolveClientToken({
        explicit: 'from-flag',
        dataDir,
        env: { PLUGVISOR_TOKEN: 'from-env' },
      }),
      'from-flag',
    );
  });
});
