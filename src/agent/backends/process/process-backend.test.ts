import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';

import type { InstanceKey, ObservedInstance } from '../backend.js';
import { findFreePort } from './free-port.js';
import { probeOnce } from './health-probe.js';
import { ProcessBackend, type ProcessBackendOptions } from './process-backend.js';
import type { ProcessCommand } from './process-instance.js';
import { readProcessIdentity } from './process-identity.js';

const ECHO_SERVER = fileURLToPath(
  new URL('../../../../examples/plugins/echo/server.js', import.meta.url),
);
const ECHO: InstanceKey = { plugin_id: 'plugin-echo', version: '1.0.0' };

const COMMANDS: Record<string, ProcessCommand> = {
  'plugin-echo@1.0.0': { argv: [process.execPath, ECHO_SERVER] },
  'plugin-echo@1.1.0': { argv: [process.execPath, ECHO_SERVER] },
  'plugin-crash@1.0.0': {
    argv: [process.execPath, '-e', 'console.error("boom"); process.exit(3)'],
  },
  'plugin-tcp@1.0.0': {
    argv: [
      process.execPath,
      '-e',
      'require("net").createServer().listen(+process.env.PLUGVISOR_PLUGIN_PORT, process.env.PLUGVISOR_PLUGIN_HOST)',
    ],
    probe: 'tcp',
  },
  'plugin-hangs@1.0.0': {
    argv: [
      process.execPath,
      '-e',
      'const s = require("net").createServer().listen(+process.env.PLUGVISOR_PLUGIN_PORT); setTimeout(() => s.close(), 300); setInterval(() => {}, 1000)',
    ],
    probe: 'tcp',
  },
  'plugin-stubborn@1.0.0': {
    argv: [
      process.execPath,
      '-e',
      'process.on("SIGTERM", () => {}); require("net").createServer().listen(+process.env.PLUGVISOR_PLUGIN_PORT)',
    ],
    probe: 'tcp',
  },
};

const silent = pino({ level: 'silent' });
const startedPids = new Set<number>();

after(() => {
  for (const pid of startedPids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('the process backend', () => {
  it('starts the catalog command on a free loopback port and reports ACTIVE once the health check answers', async (t) => {
    const { backend, dataDir } = await newBackend(t);

    assert.equal(await backend.create({ ...ECHO, revision: 'r1' }), 'created');
    assert.equal(await backend.create({ ...ECHO, revision: 'r1' }), 'unchanged');
    const active = await waitForState(backend, ECHO, 'ACTIVE');

    assert.match(active.endpoint, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(active.endpoints, [active.endpoint]);
    assert.equal(active.revision, 'r1');
    assert.equal(await probeOnce('127.0.0.1', portOf(active.endpoint)), 'SERVING');
    assert.equal((await backend.list()).length, 1);
    const log = readFileSync(join(dataDir, 'logs', 'plugin-echo@1.0.0.log'), 'utf8');
    assert.match(log, /Echo plugin listening/);
    const state = JSON.parse(readFileSync(join(dataDir, 'process', 'state.json'), 'utf8'));
    assert.equal(state.instances[0].pid, backend.pidOf(ECHO));
  });

  it('stops an instance with SIGTERM on delete, and delete of a missing one is unchanged', async (t) => {
    const { backend } = await newBackend(t);
    await backend.create({ ...ECHO, revision: 'r1' });
    const active = await waitForState(backend, ECHO, 'ACTIVE');
    const pid = backend.pidOf(ECHO)!;

    assert.equal(await backend.delete(ECHO), 'deleted');

    assert.equal(await readProcessIdentity(pid), undefined);
    assert.equal(await probeOnce('127.0.0.1', portOf(active.endpoint), 'tcp'), 'UNREACHABLE');
    assert.deepEqual(await backend.list(), []);
    assert.equal(await backend.delete(ECHO), 'unchanged');
  });

  it('kills a plugin that ignores SIGTERM once the grace period is over', async (t) => {
    const key = { plugin_id: 'plugin-stubborn', version: '1.0.0' };
    const { backend } = await newBackend(t, { stopGraceMs: 300 });
    await backend.create({ ...key, revision: 'r1' });
    await waitForState(backend, key, 'ACTIVE');
    const pid = backend.pidOf(key)!;

    const started = Date.now();
    assert.equal(await backend.delete(key), 'deleted');

    assert.ok(Date.now() - started >= 250, 'waited for the grace period');
    assert.equal(await readProcessIdentity(pid), undefined);
  });

  it('accepts a TCP connection as readiness for a plugin configured without a health service', async (t) => {
    const key = { plugin_id: 'plugin-tcp', version: '1.0.0' };
    const { backend } = await newBackend(t);
    await backend.create({ ...key, revision: 'r1' });

    const active = await waitForState(backend, key, 'ACTIVE');

    assert.equal(await probeOnce('127.0.0.1', portOf(active.endpoint), 'tcp'), 'SERVING');
  });

  it('restarts a killed plugin on the same port and reports ACTIVE again', async (t) => {
    const { backend } = await newBackend(t);
    await backend.create({ ...ECHO, revision: 'r1' });
    const before = await waitForState(backend, ECHO, 'ACTIVE');
    const firstPid = backend.pidOf(ECHO)!;
    let changes = 0;
    backend.onChange(() => (changes += 1));

    process.kill(firstPid, 'SIGKILL');
    await waitFor(
      async () => backend.pidOf(ECHO) !== undefined && backend.pidOf(ECHO) !== firstPid,
    );
    const again = await waitForState(backend, ECHO, 'ACTIVE');

    assert.equal(again.endpoint, before.endpoint);
    assert.ok(changes >= 2, 'told the agent about the crash and the recovery');
  });

  it('kills and restarts an ACTIVE plugin that stops answering its health check', async (t) => {
    const key = { plugin_id: 'plugin-hangs', version: '1.0.0' };
    const { backend, dataDir } = await newBackend(t, { healthIntervalMs: 100 });
    await backend.create({ ...key, revision: 'r1' });
    await waitForState(backend, key, 'ACTIVE');
    const firstPid = backend.pidOf(key)!;

    await waitFor(async () => backend.pidOf(key) !== undefined && backend.pidOf(key) !== firstPid);

    assert.equal(await readProcessIdentity(firstPid), undefined, 'the hung process was killed');
    const log = readFileSync(join(dataDir, 'logs', 'plugin-hangs@1.0.0.log'), 'utf8');
    assert.equal(log.match(/--- plugvisor: starting/g)?.length, 2);
  });

  it('reports ERROR with the exit reason after repeated crashes, and stops restarting', async (t) => {
    const key = { plugin_id: 'plugin-crash', version: '1.0.0' };
    const { backend, dataDir } = await newBackend(t, {
      restart: { maxRestarts: 2, initialBackoffMs: 20, maxBackoffMs: 40 },
    });
    await backend.create({ ...key, revision: 'r1' });

    const failed = await waitForState(backend, key, 'ERROR');

    assert.match(failed.errorMessage, /exited with code 3; gave up after 2 restarts/);
    assert.equal(failed.endpoint, '');
    const log = readFileSync(join(dataDir, 'logs', 'plugin-crash@1.0.0.log'), 'utf8');
    assert.equal(log.match(/^boom$/gm)?.length, 3, 'the first start and two restarts');
    await sleep(150);
    assert.equal(log, readFileSync(join(dataDir, 'logs', 'plugin-crash@1.0.0.log'), 'utf8'));
  });

  it('reports ERROR naming the cause when the catalog has no command for the plugin', async (t) => {
    const key = { plugin_id: 'plugin-unknown', version: '9.9.9' };
    const { backend } = await newBackend(t);

    assert.equal(await backend.create({ ...key, revision: 'r1' }), 'created');

    const [observed] = await backend.list();
    assert.equal(observed?.state, 'ERROR');
    assert.match(observed?.errorMessage ?? '', /plugin-unknown@9\.9\.9 is not in the catalog/);
  });

  it('leaves processes running on close without stopping them, and a new backend adopts them', async (t) => {
    const first = await newBackend(t);
    await first.backend.create({ ...ECHO, revision: 'r1' });
    const active = await waitForState(first.backend, ECHO, 'ACTIVE');
    const pid = first.backend.pidOf(ECHO)!;
    await first.backend.close({ stopInstances: false });
    assert.notEqual(await readProcessIdentity(pid), undefined, 'still running');

    const second = await newBackend(t, { dataDir: first.dataDir });
    const adopted = await waitForState(second.backend, ECHO, 'ACTIVE');

    assert.equal(second.backend.pidOf(ECHO), pid);
    assert.equal(adopted.endpoint, active.endpoint);
    assert.equal(adopted.revision, 'r1');
    assert.equal((await second.backend.list()).length, 1);
    assert.equal(await second.backend.create({ ...ECHO, revision: 'r1' }), 'unchanged');
  });

  it('notices when an adopted process dies and restarts it', async (t) => {
    const first = await newBackend(t);
    await first.backend.create({ ...ECHO, revision: 'r1' });
    await waitForState(first.backend, ECHO, 'ACTIVE');
    const pid = first.backend.pidOf(ECHO)!;
    await first.backend.close({ stopInstances: false });
    const second = await newBackend(t, { dataDir: first.dataDir, adoptPollMs: 50 });
    await waitForState(second.backend, ECHO, 'ACTIVE');

    process.kill(pid, 'SIGKILL');

    await waitFor(
      async () => second.backend.pidOf(ECHO) !== undefined && second.backend.pidOf(ECHO) !== pid,
    );
    await waitForState(second.backend, ECHO, 'ACTIVE');
  });

  it('never adopts nor signals a recorded pid that now belongs to another process', async (t) => {
    const { dataDir, backend: first } = await newBackend(t);
    await first.close({ stopInstances: false });
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    });
    t.after(() => stranger.kill('SIGKILL'));
    const identity = await waitForIdentity(stranger.pid!, 'setTimeout(() => {}, 60000)');
    writeState(dataDir, [
      {
        ...ECHO,
        ...identity,
        startTime: String(Number(identity.startTime) - 1),
        revision: 'r1',
        host: '127.0.0.1',
        port: 1,
        startedAt: new Date().toISOString(),
        logFile: '',
      },
    ]);

    const { backend } = await newBackend(t, { dataDir });

    assert.deepEqual(await backend.list(), []);
    assert.notEqual(await readProcessIdentity(stranger.pid!), undefined, 'the stranger is alive');
  });

  it('adopts a process started for it that the state file missed, and stops a duplicate of it', async (t) => {
    const { dataDir, backend: first } = await newBackend(t);
    await first.create({ ...ECHO, revision: 'r1' });
    await waitForState(first, ECHO, 'ACTIVE');
    const recordedPid = first.pidOf(ECHO)!;
    await first.close({ stopInstances: false });
    const strayPort = await findFreePort();
    const stray = spawn(process.execPath, [ECHO_SERVER], {
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        PLUGVISOR_PLUGIN_PORT: String(strayPort),
        PLUGVISOR_PLUGIN_ID: ECHO.plugin_id,
        PLUGVISOR_PLUGIN_VERSION: ECHO.version,
        PLUGVISOR_SUPERVISOR_NAME: 'test-supervisor',
        PLUGVISOR_AGENT_DATA_DIR: dataDir,
        PLUGVISOR_INSTANCE_REVISION: 'r1',
      },
    });
    startedPids.add(stray.pid!);
    const unrecorded = { plugin_id: 'plugin-echo', version: '1.1.0' };
    const unrecordedPort = await findFreePort();
    const lost = spawn(process.execPath, [ECHO_SERVER], {
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        PLUGVISOR_PLUGIN_PORT: String(unrecordedPort),
        PLUGVISOR_PLUGIN_ID: unrecorded.plugin_id,
        PLUGVISOR_PLUGIN_VERSION: unrecorded.version,
        PLUGVISOR_SUPERVISOR_NAME: 'test-supervisor',
        PLUGVISOR_AGENT_DATA_DIR: dataDir,
        PLUGVISOR_INSTANCE_REVISION: 'r2',
      },
    });
    startedPids.add(lost.pid!);
    await waitForIdentity(stray.pid!, ECHO_SERVER);
    await waitForIdentity(lost.pid!, ECHO_SERVER);

    const { backend } = await newBackend(t, { dataDir });

    assert.equal(backend.pidOf(ECHO), recordedPid);
    assert.equal(backend.pidOf(unrecorded), lost.pid);
    await waitFor(async () => (await readProcessIdentity(stray.pid!)) === undefined);
    const found = await waitForState(backend, unrecorded, 'ACTIVE');
    assert.equal(found.endpoint, `grpc://127.0.0.1:${unrecordedPort}`);
    assert.equal((await backend.list()).length, 2);
  });

  it('refuses a second backend on a data dir in use, and takes over the lock of a dead agent', async (t) => {
    const { dataDir, backend: first } = await newBackend(t);

    await assert.rejects(
      newBackend(t, { dataDir }),
      /another agent \(pid \d+\) uses this data dir/,
    );
    await first.close({ stopInstances: false });
    writeFileSync(
      join(dataDir, 'agent.lock'),
      JSON.stringify({ pid: 999_999_999, startTime: '1', cmdline: ['node'] }),
    );

    const { backend } = await newBackend(t, { dataDir });
    assert.deepEqual(await backend.list(), []);
  });

  it('stops every instance on close with stopInstances', async (t) => {
    const { backend } = await newBackend(t);
    await backend.create({ ...ECHO, revision: 'r1' });
    await backend.create({ plugin_id: 'plugin-echo', version: '1.1.0', revision: 'r1' });
    await waitForState(backend, ECHO, 'ACTIVE');
    const pids = [
      backend.pidOf(ECHO)!,
      backend.pidOf({ plugin_id: 'plugin-echo', version: '1.1.0' })!,
    ];

    await backend.close({ stopInstances: true });

    for (const pid of pids) assert.equal(await readProcessIdentity(pid), undefined);
    assert.deepEqual(await backend.list(), []);
  });
});

async function newBackend(
  t: TestContext,
  overrides: Partial<ProcessBackendOptions> = {},
): Promise<{ backend: ProcessBackend; dataDir: string }> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'plugvisor-process-'));
  const backend = new ProcessBackend({
    dataDir,
    supervisorName: 'test-supervisor',
    logger: silent,
    stopGraceMs: 2_000,
    startTimeoutMs: 20_000,
    resolveCommand: async (key) => {
      const command = COMMANDS[`${key.plugin_id}@${key.version}`];
      if (command === undefined)
        throw new Error(`${key.plugin_id}@${key.version} is not in the catalog`);
      return command;
    },
    ...overrides,
  });
  backend.onChange(() => {
    for (const pid of [ECHO, { plugin_id: 'plugin-echo', version: '1.1.0' }].map((k) =>
      backend.pidOf(k),
    )) {
      if (pid !== undefined) startedPids.add(pid);
    }
  });
  t.after(async () => {
    await backend.close({ stopInstances: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  await backend.start();
  return { backend, dataDir };
}

async function waitForState(
  backend: ProcessBackend,
  key: InstanceKey,
  state: ObservedInstance['state'],
): Promise<ObservedInstance> {
  let found: ObservedInstance | undefined;
  await waitFor(async () => {
    found = (await backend.list()).find(
      (i) => i.plugin_id === key.plugin_id && i.version === key.version && i.state === state,
    );
    const pid = backend.pidOf(key);
    if (pid !== undefined) startedPids.add(pid);
    return found !== undefined;
  });
  return found!;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(20);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * The identity of `pid` once it runs `expectedArg`: right after fork, until exec, the child still
 * shows the parent's command line (the test runner's, which has several arguments too), and an
 * identity read then changes a moment later.
 */
async function waitForIdentity(pid: number, expectedArg: string) {
  let identity = await readProcessIdentity(pid);
  await waitFor(async () => {
    identity = await readProcessIdentity(pid);
    return identity !== undefined && identity.cmdline.includes(expectedArg);
  });
  return identity!;
}

function writeState(dataDir: string, instances: object[]): void {
  mkdirSync(join(dataDir, 'process'), { recursive: true });
  writeFileSync(
    join(dataDir, 'process', 'state.json'),
    JSON.stringify({ format: 1, supervisor_name: 'test-supervisor', instances }),
  );
}

function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}
