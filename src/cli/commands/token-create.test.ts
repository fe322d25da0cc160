import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadOrCreateKeys, verifyToken } from '../../auth/index.js';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'plugvisor.js');
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pv-cli-token-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

async function plugvisor(
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('plugvisor token create', () => {
  it('prints an agent token the server accepts, with the claims asked for', async () => {
    const out = await plugvisor(
      'token',
      'create',
      '--role',
      'supervisor',
      '--domain-id',
      'domain-a',
      '--supervisor-name',
      'edge-1',
      '--expires-in',
      '2h',
      '--data-dir',
      dataDir,
    );
    assert.equal(out.code, 0, out.stderr);
    const keys = await loadOrCreateKeys(dataDir);
    const claims = await verifyToken(keys, out.stdout.trim());
    assert.deepEqual(
      [claims.role, claims.domainId, claims.supervisorName],
      ['SUPERVISOR', 'domain-a', 'edge-1'],
    );
    const ttl = claims.expiresAt.getTime() - Date.now();
    assert.ok(ttl > 7_100_000 && ttl <= 7_200_000, `ttl ${ttl}`);
  });

  it('refuses a domain admin token without a domain, naming the option, and prints no token', async () => {
    const out = await plugvisor('token', 'create', '--role', 'domain_admin', '--data-dir', dataDir);
    assert.equal(out.code, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /domain_id/);
  });

  it('refuses an unknown role', async () => {
    const out = await plugvisor('token', 'create', '--role', 'root', '--data-dir', dataDir);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /expected system, domain_admin or supervisor/);
  });
});
