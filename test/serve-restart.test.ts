import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

const BIN = resolve(import.meta.dirname, '../../bin/plugvisor.js');

interface Served {
  child: ChildProcess;
  http: string;
  grpc: string;
  lines: Record<string, unknown>[];
}

/** Starts `plugvisor serve` as a child process and waits for its one "listening" line. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGVISOR_')),
  );
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { ...cleanEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry['msg'] === 'Plugvisor listening') {
        clearTimeout(timer);
        resolvePromise({ child, http: String(entry['http']), grpc: String(entry['grpc']), lines });
      }
    });
  });
}

function stop(served: Served): Promise<number | null> {
  return new Promise((resolvePromise) => {
    served.child.once('exit', (code) => resolvePromise(code));
    served.child.kill('SIGTERM');
  });
}

async function post(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Record<string, unknown>;
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'plugvisor-serve-'));
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('plugvisor serve', () => {
  it('logs its bound ports, keeps every supervisor across a restart, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    const first = await serve(['--grpc-port', '0', '--http-port', '0', '--data-dir', dataDir]);
    assert.match(first.grpc, /^127\.0\.0\.1:\d+$/);
    assert.match(first.http, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(first.grpc.endsWith(':0'), true);
    assert.equal(first.lines.filter((l) => String(l['msg']).includes('listening')).length, 1);

    const created: Record<string, unknown>[] = [];
    for (const host of ['alpha', 'beta', 'gamma']) {
      created.push(
        await post(first.http, '/plugin/v1/supervisors', {
          name: host,
          hostname: host,
          domain_id: 'domain-r',
          tags: { host },
        }),
      );
    }
    await post(
      first.http,
      `/plugin/v1/supervisor/${String(created[0]?.['supervisor_id'])}/register`,
      { domain_id: 'domain-r' },
    );
    assert.equal(await stop(first), 0);
    assert.ok(first.lines.some((l) => l['msg'] === 'Plugvisor stopped'));

    // The second start takes its settings from a config file and the environment instead.
    const configFile = join(dir, 'plugvisor.yaml');
    writeFileSync(configFile, `grpc_port: 0\nhttp_port: 0\ndata_dir: ${JSON.stringify(dataDir)}\n`);
    const second = await serve([], { PLUGVISOR_CONFIG: configFile });
    const listed = await post(second.http, '/plugin/v1/supervisors/search', {
      domain_id: 'domain-r',
      query: { sort: { key: 'name' } },
    });
    const results = listed['results'] as Record<string, unknown>[];
    assert.deepEqual(
      results.map((r) => r['supervisor_id']),
      created.map((c) => c['supervisor_id']),
    );
    assert.deepEqual(
      results.map((r) => r['state']),
      ['ENABLED', 'PENDING', 'PENDING'],
    );
    assert.deepEqual(
      results.map((r) => r['tags']),
      [{ host: 'alpha' }, { host: 'beta' }, { host: 'gamma' }],
    );
    assert.equal(await stop(second), 0);
  });

  it('refuses a bad setting with a message naming it and where it came from', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir], {
      env: { ...process.env, PLUGVISOR_GRPC_PORT: 'seventy' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 2);
    assert.match(stderr, /grpc_port/);
    assert.match(stderr, /PLUGVISOR_GRPC_PORT/);
  });
});
