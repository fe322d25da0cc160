import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ensureLocalToken } from '../src/auth/index.js';
import { main } from '../src/cli/main.js';
import { startControlPlane, type RunningControlPlane } from '../src/server/index.js';
import { InstalledPluginRepository } from '../src/store/index.js';
import { SupervisorClient } from '../src/transport/client/index.js';
import { supervisorGrpcModule } from '../src/transport/grpc/supervisor-module.js';
import { startTestControlPlane, type TestControlPlane } from './support/control-plane.js';

/**
 * The client commands end to end: a real control plane on free loopback ports over a temp SQLite
 * file (auth off, as `startTestControlPlane` runs it; one suite turns auth on), driven through
 * `main(argv)` in this process and through the real `bin/plugvisor.js` as a child process.
 */

const BIN = join(process.cwd(), 'bin', 'plugvisor.js');
const DOMAIN = 'domain-local';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let t: TestControlPlane;
let dir: string;
let plane: RunningControlPlane;
let client: SupervisorClient;
const ids: Record<'edge1' | 'tokyo' | 'edge3', string> = { edge1: '', tokyo: '', edge3: '' };

/**
 * Runs `plugvisor …` in this process through `main(argv)` with its output captured; the
 * environment points it at the test control plane (set in `before`).
 */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

/** Runs the real `bin/plugvisor.js` as a child process, with extra environment variables. */
function plugvisorBin(extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLUGVISOR_ADDRESS: plane.grpcAddress,
    PLUGVISOR_DATA_DIR: dir,
  };
  delete env['PLUGVISOR_TOKEN'];
  delete env['PLUGVISOR_DOMAIN_ID'];
  Object.assign(env, extraEnv);

  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Asserts a failed run: the exit code and exactly one `plugvisor: CODE: …` line on stderr. */
function assertFailed(run: Run, exitCode: number, code: string): string {
  assert.equal(run.code, exitCode, run.stderr);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.ok(lines[0]?.startsWith(`plugvisor: ${code}: `), run.stderr);
  return lines[0] ?? '';
}

/** Table rows as arrays of cells (split on runs of two or more spaces), header first. */
function rowsOf(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  t = await startTestControlPlane();
  ({ dir, plane, client } = t);
  process.env['PLUGVISOR_ADDRESS'] = plane.grpcAddress;
  process.env['PLUGVISOR_DATA_DIR'] = dir;
  // The test plane requires tokens: put its system token where `plugvisor up` writes one, so the
  // commands below find it without flags, as a user's do.
  writeFileSync(join(dir, 'token'), `${t.token}\n`, { mode: 0o600 });
  delete process.env['PLUGVISOR_TOKEN'];
  delete process.env['PLUGVISOR_DOMAIN_ID'];
  const publish = async (name: string, hostname: string): Promise<string> =>
    (await client.publish({ name, hostname, domain_id: DOMAIN, labels: { region: 'ap' } }))
      .supervisor_id;
  ids.edge1 = await publish('edge-1', 'edge1.example.com');
  ids.tokyo = await publish('東京ノード', 'tokyo.example.jp');
  ids.edge3 = await publish('edge-3', 'edge3.example.com');
});

after(async () => {
  await t?.stop(true);
});

describe('plugvisor supervisor list', () => {
  it('prints an aligned table with the chosen columns, wide names included', async () => {
    const run = await plugvisorBin({}, 'supervisor', 'list');

    assert.equal(run.code, 0, run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(rows[0], [
      'SUPERVISOR_ID',
      'NAME',
      'HOSTNAME',
      'STATE',
      'PUBLIC',
      'PRIORITY',
      'LABELS',
      'LAST_SEEN',
    ]);
    assert.equal(rows.length, 4);
    const tokyo = rows.find((r) => r[0] === ids.tokyo);
    assert.deepEqual(tokyo?.slice(1, 7), [
      '東京ノード',
      'tokyo.example.jp',
      'PENDING',
      'no',
      '10',
      'region=ap',
    ]);
    assert.match(tokyo?.[7] ?? '', /^\d+s ago$/);
    const lines = run.stdout.trimEnd().split('\n');
    const hostnameColumn = (line: string, host: string): number => {
      const before = line.slice(0, line.indexOf(host));
      return [...before].reduce((w, c) => w + (/[\u3000-\u9fff]/.test(c) ? 2 : 1), 0);
    };
    assert.equal(
      hostnameColumn(lines.find((l) => l.includes('tokyo')) ?? '', 'tokyo'),
      hostnameColumn(lines[0] ?? '', 'HOSTNAME'),
    );
  });

  it('prints the API answer as JSON with --output json', async () => {
    const run = await cli('supervisor', 'list', '--output', 'json');

    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { results: { name: string }[]; total_count: number };
    assert.equal(answer.total_count, 3);
    assert.deepEqual(answer.results.map((s) => s.name).sort(), ['edge-1', 'edge-3', '東京ノード']);
  });

  it('sorts, pages and prints the total of all matches', async () => {
    const run = await cli('supervisor', 'list', '--sort', '-name', '--limit', '2');

    assert.equal(run.code, 0, run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(
      rows.slice(1, 3).map((r) => r[1]),
      ['東京ノード', 'edge-3'],
    );
    assert.deepEqual(rows.at(-1), ['total 3']);

    const second = await cli('supervisor', 'list', '--sort', 'name', '--page', '2', '--limit', '2');
    assert.deepEqual(
      rowsOf(second.stdout).map((r) => r[1] ?? r[0]),
      ['NAME', '東京ノード', 'total 3'],
    );
  });

  it('filters by --state, --name and --filter conditions', async () => {
    const enabled = await cli('supervisor', 'list', '--state', 'ENABLED');
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(enabled.stdout, 'No supervisors.\n');

    const byName = await cli('supervisor', 'list', '--name', 'edge-3', '-o', 'json');
    assert.deepEqual(
      (JSON.parse(byName.stdout) as { results: { supervisor_id: string }[] }).results.map(
        (s) => s.supervisor_id,
      ),
      [ids.edge3],
    );

    const contain = await cli('supervisor', 'list', '--filter', 'hostname~TOKYO');
    assert.deepEqual(
      rowsOf(contain.stdout)
        .slice(1)
        .map((r) => r[0]),
      [ids.tokyo],
    );
  });

  it('acts in the domain given by --domain-id', async () => {
    const run = await cli('supervisor', 'list', '--domain-id', 'domain-other');

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'No supervisors.\n');
  });

  it('reports a query the server refuses with its error code', async () => {
    const run = await cli('supervisor', 'list', '--filter', 'secret=x');

    assert.match(assertFailed(run, 1, 'ERROR_INVALID_QUERY'), /secret/);
  });

  it('refuses malformed options as a usage error (exit 2) naming the expected form', async () => {
    const filter = await cli('supervisor', 'list', '--filter', 'state');
    assert.equal(filter.code, 2);
    assert.match(filter.stderr, /expected key=value/);

    const page = await cli('supervisor', 'list', '--page', '0');
    assert.equal(page.code, 2);
    assert.match(page.stderr, /at least 1/);

    const output = await cli('supervisor', 'list', '--output', 'yaml');
    assert.equal(output.code, 2);
    assert.match(output.stderr, /table, json|"table", "json"/);
  });
});

describe('plugvisor supervisor get|register|enable|disable|deregister', () => {
  it('shows one supervisor as aligned details, or as JSON', async () => {
    const details = await cli('supervisor', 'get', ids.edge1);
    assert.equal(details.code, 0, details.stderr);
    assert.match(details.stdout, new RegExp(`^supervisor_id  ${ids.edge1}$`, 'm'));
    assert.match(details.stdout, /^hostname       edge1\.example\.com$/m);
    assert.match(details.stdout, /^tags           -$/m);

    const json = await cli('supervisor', 'get', ids.edge1, '-o', 'json');
    const answer = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(answer['supervisor_id'], ids.edge1);
    assert.equal(answer['state'], 'PENDING');
  });

  it('registers a supervisor with priority and labels, and the server keeps them', async () => {
    const run = await cli(
      'supervisor',
      'register',
      ids.edge1,
      '--priority',
      '50',
      '--label',
      'zone=a',
      '--label',
      'gpu=yes',
    );

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rowsOf(run.stdout)[1]?.slice(0, 7), [
      ids.edge1,
      'edge-1',
      'edge1.example.com',
      'ENABLED',
      'no',
      '50',
      'gpu=yes,zone=a',
    ]);
    const stored = await client.get({ supervisor_id: ids.edge1, domain_id: DOMAIN });
    assert.equal(stored.state, 'ENABLED');
    assert.equal(stored.priority, 50);
    assert.deepEqual(stored.labels, { zone: 'a', gpu: 'yes' });
  });

  it('reports a state error in one line with exit code 1', async () => {
    const run = await cli('supervisor', 'register', ids.edge1);

    const line = assertFailed(run, 1, 'ERROR_SUPERVISOR_STATE');
    assert.match(line, new RegExp(`register.*${ids.edge1}.*ENABLED`));
  });

  it('disables and enables a supervisor', async () => {
    const disabled = await cli('supervisor', 'disable', ids.edge1, '-o', 'json');
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal((JSON.parse(disabled.stdout) as { state: string }).state, 'DISABLED');
    assert.equal(
      (await client.get({ supervisor_id: ids.edge1, domain_id: DOMAIN })).state,
      'DISABLED',
    );

    const enabled = await cli('supervisor', 'enable', ids.edge1);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(rowsOf(enabled.stdout)[1]?.[3], 'ENABLED');
  });

  it('deregisters a supervisor, after which it is not found', async () => {
    const run = await cli('supervisor', 'deregister', ids.edge3);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `Supervisor ${ids.edge3} deregistered.\n`);

    const again = await plugvisorBin({}, 'supervisor', 'get', ids.edge3);
    assert.match(assertFailed(again, 1, 'ERROR_NOT_FOUND'), new RegExp(ids.edge3));
  });

  it('reports an unknown id as ERROR_NOT_FOUND with exit code 1', async () => {
    for (const action of ['get', 'enable', 'disable', 'deregister']) {
      const run = await cli('supervisor', action, 'supervisor-000000000000');
      assertFailed(run, 1, 'ERROR_NOT_FOUND');
    }
  });

  it('refuses a missing argument or an unknown command as a usage error (exit 2)', async () => {
    const missing = await plugvisorBin({}, 'supervisor', 'get');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'supervisor_id'/);

    const unknown = await cli('supervisor', 'destroy', 'x');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'destroy'/);
  });
});

describe('plugvisor plugin list|recover', () => {
  before(async () => {
    const repo = new InstalledPluginRepository(plane.services.store.db);
    const created_at = new Date().toISOString();
    await repo.insert({
      supervisor_id: ids.edge1,
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      state: 'PROVISIONING',
      domain_id: DOMAIN,
      created_at,
    });
    await repo.insert({
      supervisor_id: ids.edge1,
      plugin_id: 'plugin-ask',
      version: '2.1',
      state: 'PROVISIONING',
      domain_id: DOMAIN,
      created_at,
    });
    // The agent's report, through the real API.
    await client.publish({
      name: 'edge-1',
      hostname: 'edge1.example.com',
      domain_id: DOMAIN,
      plugin_info: [
        {
          plugin_id: 'plugin-echo',
          version: '1.0.0',
          state: 'ACTIVE',
          endpoint: 'grpc://127.0.0.1:41001',
          endpoints: ['grpc://127.0.0.1:41001'],
        },
        {
          plugin_id: 'plugin-ask',
          version: '2.1',
          state: 'ERROR',
          error_message: 'exited with code 3 (crash loop)',
        },
      ],
    });
  });

  it('prints the installed plugins as a table with the chosen columns', async () => {
    const run = await cli('plugin', 'list', '--sort', 'plugin_id');

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rowsOf(run.stdout), [
      ['PLUGIN_ID', 'VERSION', 'STATE', 'ENDPOINT', 'SUPERVISOR', 'DOMAIN', 'ERROR'],
      ['plugin-ask', '2.1', 'ERROR', '-', ids.edge1, DOMAIN, 'exited with code 3 (crash loop)'],
      ['plugin-echo', '1.0.0', 'ACTIVE', 'grpc://127.0.0.1:41001', ids.edge1, DOMAIN, '-'],
    ]);
  });

  it('filters by state, plugin id and supervisor, and prints JSON', async () => {
    const active = await cli('plugin', 'list', '--state', 'ACTIVE', '-o', 'json');
    const answer = JSON.parse(active.stdout) as {
      results: { plugin_id: string; supervisor_name: string }[];
      total_count: number;
    };
    assert.deepEqual(
      answer.results.map((p) => p.plugin_id),
      ['plugin-echo'],
    );
    assert.equal(answer.results[0]?.supervisor_name, 'edge-1');
    assert.equal(answer.total_count, 1);

    const byPlugin = await cli('plugin', 'list', '--plugin-id', 'plugin-ask');
    assert.deepEqual(
      rowsOf(byPlugin.stdout)
        .slice(1)
        .map((r) => r[0]),
      ['plugin-ask'],
    );

    const elsewhere = await cli('plugin', 'list', '--supervisor-id', ids.tokyo);
    assert.equal(elsewhere.stdout, 'No installed plugins.\n');

    const filtered = await cli('plugin', 'list', '--filter', 'version!=1.0.0');
    assert.deepEqual(
      rowsOf(filtered.stdout)
        .slice(1)
        .map((r) => r[0]),
      ['plugin-ask'],
    );
  });

  it('recovers an instance: it moves to RE_PROVISIONING', async () => {
    const run = await cli('plugin', 'recover', ids.edge1, 'plugin-ask', '2.1');

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rowsOf(run.stdout)[1]?.slice(0, 3), ['plugin-ask', '2.1', 'RE_PROVISIONING']);
    const listed = await client.listPlugins({ domain_id: DOMAIN, plugin_id: 'plugin-ask' });
    assert.equal(listed.results[0]?.state, 'RE_PROVISIONING');
  });

  it('reports recovering an unknown instance as ERROR_NOT_FOUND', async () => {
    const run = await cli('plugin', 'recover', ids.edge1, 'plugin-none', '1.0');

    assertFailed(run, 1, 'ERROR_NOT_FOUND');
  });

  it('refuses deregistering a supervisor that still has instances, saying so', async () => {
    const run = await cli('supervisor', 'deregister', ids.edge1);

    const line = assertFailed(run, 1, 'ERROR_INSTALLED_PLUGIN_EXIST');
    assert.match(line, /plugin-ask@2\.1/);
    assert.match(line, /plugin-echo@1\.0\.0/);
  });
});

describe('plugvisor plugin endpoint', () => {
  it('deploys on a cold request and prints the endpoint once the agent reports it ACTIVE', async () => {
    const waiting = cli(
      'plugin',
      'endpoint',
      'plugin-echo',
      '--version',
      '1.1.0',
      '--timeout',
      '20',
    );
    const instance = await waitForInstance('plugin-echo', '1.1.0');
    await client.publish({
      name: 'edge-1',
      hostname: 'edge1.example.com',
      domain_id: DOMAIN,
      plugin_info: [
        {
          plugin_id: 'plugin-echo',
          version: '1.1.0',
          state: 'ACTIVE',
          endpoint: 'grpc://127.0.0.1:41011',
          endpoints: ['grpc://127.0.0.1:41011'],
        },
      ],
    });
    const run = await waiting;

    assert.equal(instance.supervisor_id, ids.edge1);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'grpc://127.0.0.1:41011\n');

    const table = await cli('plugin', 'endpoint', 'plugin-echo', '--label', 'gpu=yes');
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, 'grpc://127.0.0.1:41011\nupdated_version: 1.1.0\n');

    const auto = await cli('plugin', 'endpoint', 'plugin-echo', '-o', 'json');
    const answer = JSON.parse(auto.stdout) as { endpoint: string; updated_version: string };
    assert.deepEqual(answer, {
      endpoint: 'grpc://127.0.0.1:41011',
      access_token: '',
      updated_version: '1.1.0',
    });
  });

  it('reports labels no supervisor has as ERROR_NO_POSSIBLE_SUPERVISOR naming them', async () => {
    const run = await cli('plugin', 'endpoint', 'plugin-echo', '--label', 'gpu=h100');

    assert.match(assertFailed(run, 1, 'ERROR_NO_POSSIBLE_SUPERVISOR'), /gpu/);
  });

  it('gives up after --timeout with ERROR_TIMEOUT naming the address and the limit', async () => {
    // Only the Tokyo supervisor has this label, so a new instance must be deployed there, and
    // nobody plays its agent: the server keeps waiting and the client deadline ends the call.
    await client.register({
      supervisor_id: ids.tokyo,
      domain_id: DOMAIN,
      labels: { pool: 'slow' },
    });
    const started = Date.now();
    const run = await cli(
      'plugin',
      'endpoint',
      'plugin-echo',
      '--label',
      'pool=slow',
      '--timeout',
      '0.5',
    );

    const line = assertFailed(run, 1, 'ERROR_TIMEOUT');
    assert.ok(line.includes(plane.grpcAddress) && line.includes('0.5s'), line);
    assert.ok(Date.now() - started < 5_000, 'the client deadline, not the server wait, ended it');
  });

  it('reports a plugin missing from the catalog with its error code', async () => {
    const run = await cli('plugin', 'endpoint', 'plugin-nonexistent', '--version', '1.0');

    assertFailed(run, 1, 'ERROR_PLUGIN_NOT_FOUND');
  });

  it('says the control plane lacks the method when it serves no Plugin API', async () => {
    const older = await startControlPlane(
      {
        grpcPort: 0,
        httpPort: 0,
        host: '127.0.0.1',
        database: `sqlite:${join(dir, 'older.db')}`,
        dataDir: dir,
        authDisabled: true,
      },
      { logger: pino({ level: 'silent' }), grpcModules: [supervisorGrpcModule] },
    );
    try {
      const run = await cli('plugin', 'endpoint', 'plugin-echo', '--address', older.grpcAddress);

      assert.match(assertFailed(run, 1, 'ERROR_UNIMPLEMENTED'), new RegExp(older.grpcAddress));
    } finally {
      await older.close();
    }
  });
});

describe('a control plane that cannot be reached', () => {
  it('is reported with the address tried and a hint to start one with plugvisor up', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const run = await plugvisorBin({}, 'supervisor', 'list', '--address', address);

    const line = assertFailed(run, 1, 'ERROR_CONNECTION');
    assert.ok(line.includes(address), line);
    assert.match(line, /ECONNREFUSED/);
    assert.match(line, /plugvisor up/);
    assert.ok(Date.now() - started < 10_000, 'fails fast, not after the call timeout');
  });

  it('is reported the same way with PLUGVISOR_ADDRESS for the plugin commands', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const run = await plugvisorBin({ PLUGVISOR_ADDRESS: address }, 'plugin', 'list');

    assert.ok(assertFailed(run, 1, 'ERROR_CONNECTION').includes(address));
  });
});

describe('a control plane with authentication on', () => {
  let authDir: string;
  let secured: RunningControlPlane;

  before(async () => {
    authDir = mkdtempSync(join(tmpdir(), 'plugvisor-cli-auth-'));
    secured = await startControlPlane(
      {
        grpcPort: 0,
        httpPort: 0,
        host: '127.0.0.1',
        database: `sqlite:${join(authDir, 'plugvisor.db')}`,
        dataDir: authDir,
      },
      { logger: pino({ level: 'silent' }) },
    );
    await ensureLocalToken(authDir);
  });
  after(async () => {
    await secured?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  it('is reached with the token plugvisor up wrote into the data dir, without flags', async () => {
    const run = await plugvisorBin(
      { PLUGVISOR_ADDRESS: secured.grpcAddress, PLUGVISOR_DATA_DIR: authDir },
      'supervisor',
      'list',
    );

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'No supervisors.\n');
  });

  it('refuses a client without a token or with a bad one, in one line', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'plugvisor-cli-notoken-'));
    const noToken = await cli(
      'supervisor',
      'list',
      '--address',
      secured.grpcAddress,
      '--data-dir',
      emptyDir,
    );
    rmSync(emptyDir, { recursive: true, force: true });
    const line = assertFailed(noToken, 1, 'ERROR_AUTHENTICATE_FAILURE');
    assert.ok(
      line.includes(join(emptyDir, 'token')),
      `names the token file it looked for: ${line}`,
    );

    const badToken = await cli(
      'supervisor',
      'list',
      '--address',
      secured.grpcAddress,
      '--token',
      'not-a-token',
    );
    assert.doesNotMatch(
      assertFailed(badToken, 1, 'ERROR_AUTHENTICATE_FAILURE'),
      /no token was sent/,
    );
  });
});

/** Waits (by listing, as an agent would) until the control plane has created the instance. */
async function waitForInstance(
  pluginId: string,
  version: string,
): Promise<{ supervisor_id: string }> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const listed = await client.listPlugins({ domain_id: DOMAIN, plugin_id: pluginId, version });
    const found = listed.results[0];
    if (found?.supervisor_id !== undefined) return { supervisor_id: found.supervisor_id };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no instance of ${pluginId}@${version} was created`);
}
