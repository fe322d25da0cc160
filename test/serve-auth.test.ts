import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

/**
 * `plugvisor serve` as a real child process: tokens are required by default, `--no-auth` is
 * loud, and a key rotation followed by SIGHUP takes effect without a restart.
 */

const BIN = join(process.cwd(), 'bin', 'plugvisor.js');
const run = promisify(execFile);
const children: ChildProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  http: string;
  lines: Record<string, unknown>[];
}

async function serve(dataDir: string, ...extra: string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--data-dir', dataDir, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PLUGVISOR_AUTH: '' } },
  );
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const http = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not start in 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === 'Plugvisor listening') {
        clearTimeout(timer);
        resolve(String(entry.http));
      }
    });
  });
  return { child, http, lines };
}

async function stop(served: Served): Promise<void> {
  const exited = new Promise((resolve) => served.child.once('exit', resolve));
  served.child.kill('SIGTERM');
  await exited;
}

async function mint(dataDir: string): Promise<string> {
  const { stdout } = await run(process.execPath, [
    BIN,
    'token',
    'create',
    '--role',
    'system',
    '--data-dir',
    dataDir,
  ]);
  return stdout.trim();
}

async function list(
  http: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://${http}/plugin/v1/supervisors/search`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ domain_id: 'domain-a' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pv-serve-auth-'));
  dirs.push(dir);
  return dir;
}

describe('plugvisor serve and tokens', () => {
  it('requires a token by default and accepts one minted with its key', async () => {
    const dataDir = await tempDir();
    const served = await serve(dataDir);
    try {
      const anonymous = await list(served.http);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.code, 'ERROR_AUTHENTICATE_FAILURE');
      const withToken = await list(served.http, await mint(dataDir));
      assert.equal(withToken.status, 200);
      assert.equal(served.lines.find((l) => l.msg === 'Plugvisor listening')?.auth, 'on');
    } finally {
      await stop(served);
    }
  });

  it('with --no-auth accepts requests without a token and says so at warn', async () => {
    const served = await serve(await tempDir(), '--no-auth');
    try {
      assert.equal((await list(served.http)).status, 200);
      const warning = served.lines.find((l) =>
        String(l.msg).includes('Authentication is DISABLED'),
      );
      assert.equal(warning?.level, 40);
    } finally {
      await stop(served);
    }
  });

  it('picks up a rotated key on SIGHUP and stops accepting a removed one', async () => {
    const dataDir = await tempDir();
    const served = await serve(dataDir);
    try {
      const oldToken = await mint(dataDir);
      const { stdout } = await run(process.execPath, [
        BIN,
        'keys',
        'rotate',
        '--data-dir',
        dataDir,
      ]);
      const previousKid = /previous key:\s+(\S+)/.exec(stdout)?.[1] ?? '';
      served.child.kill('SIGHUP');
      const newToken = await mint(dataDir);
      await waitFor(async () => (await list(served.http, newToken)).status === 200);
      assert.equal((await list(served.http, oldToken)).status, 200, 'previous key still accepted');

      await unlink(join(dataDir, 'keys', `${previousKid}.pem`));
      served.child.kill('SIGHUP');
      await waitFor(async () => (await list(served.http, oldToken)).status === 401);
      assert.equal((await list(served.http, newToken)).status, 200);
    } finally {
      await stop(served);
    }
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}
