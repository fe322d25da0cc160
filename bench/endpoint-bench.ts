/**
 * `npm run bench:endpoint`: what Plugvisor adds on top of running a plugin, measured in one run.
 *
 * 1. Cold get_plugin_endpoint of the example plugin through `plugvisor up` (a child process on
 *    free ports), against spawning the same plugin directly until its health check answers.
 *    Twenty of each, interleaved so that both see the same machine; medians and their ratio
 *    (goal: at most 1.5). Each cold call asks for a version not deployed yet: the bench writes a
 *    catalog with versions bench.1 … bench.20 of the same command.
 * 2. Warm get_plugin_endpoint throughput (an instance exists) against a bare grpc-js unary handler
 *    answering the same message types, in a child process of its own, driven by the same client
 *    with the same concurrency, alternating in half-second slices so that other load on the
 *    machine falls on both alike (goal: at least 60 %).
 *
 * Options (environment): BENCH_ROUNDS (20), BENCH_WARM_SECONDS (5), BENCH_CONCURRENCY (32).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';

import { findFreePort, waitUntilServing } from '../src/agent/index.js';
import { readLocalToken } from '../src/auth/index.js';
import { plugvisorHome } from '../src/catalog/index.js';
import { PluginClient, SupervisorClient } from '../src/transport/client/index.js';
import { loadProtos } from '../src/transport/protos.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DOMAIN = 'domain-local';
const ECHO_SERVER = join(plugvisorHome(), 'dist', 'examples', 'plugins', 'echo', 'server.js');
const BIN = join(plugvisorHome(), 'bin', 'plugvisor.js');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plugvisor-bench-'));
  const catalog = writeBenchCatalog(dir);
  const up = await startUp(dir, catalog);
  const bare = await startBareServer();
  const token = await readLocalToken(dir);
  const client = new PluginClient(up.grpcAddress, { token });

  try {
    await waitForLocalSupervisor(up.grpcAddress, token);
    const cold = await measureCold(client);
    const { warm, bare: bareRate } = await measureWarmAgainstBare(
      up.grpcAddress,
      token,
      bare.address,
    );
    report(cold, warm, bareRate);
  } finally {
    client.close();
    await stop(bare.child);
    await stop(up.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ColdResult {
  endpointMs: number[];
  spawnMs: number[];
}

async function measureCold(client: PluginClient): Promise<ColdResult> {
  const result: ColdResult = { endpointMs: [], spawnMs: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    result.spawnMs.push(await spawnUntilHealthy());

    const started = performance.now();
    const answer = await client.getPluginEndpoint(
      { plugin_id: 'plugin-echo', version: `bench.${round}`, domain_id: DOMAIN },
      { timeoutMs: 60_000 },
    );
    result.endpointMs.push(performance.now() - started);
    if (!answer.endpoint.startsWith('grpc://'))
      throw new Error(`no endpoint: ${JSON.stringify(answer)}`);
  }
  return result;
}

/** Spawns the echo plugin as `up`'s process backend would, and times it until it is SERVING. */
async function spawnUntilHealthy(): Promise<number> {
  const port = await findFreePort();
  const started = performance.now();
  const child = spawn(process.execPath, [ECHO_SERVER], {
    env: {
      ...process.env,
      PLUGVISOR_PLUGIN_PORT: String(port),
      PLUGVISOR_PLUGIN_VERSION: 'direct',
    },
    stdio: 'ignore',
  });
  const ready = await waitUntilServing('127.0.0.1', port, { signal: AbortSignal.timeout(30_000) });
  const elapsed = performance.now() - started;

  await stop(child);
  if (!ready) throw new Error('the directly spawned plugin never answered its health check');
  return elapsed;
}

/** Length of one measuring slice; warm and bare slices alternate. */
const SLICE_SECONDS = 0.5;

/**
 * Requests per second of get_plugin_endpoint for an existing instance and of the bare handler,
 * `CONCURRENCY` in flight each. The two are measured in alternating half-second slices adding up
 * to `WARM_SECONDS` each, so that other load on the machine falls on both alike.
 */
async function measureWarmAgainstBare(
  upAddress: string,
  token: string | undefined,
  bareAddress: string,
): Promise<{ warm: number; bare: number }> {
  const warm = new PluginClient(upAddress, { token });
  const bare = new PluginClient(bareAddress, {});
  const request = { plugin_id: 'plugin-echo', version: 'bench.1', domain_id: DOMAIN };
  const totals = { warm: { done: 0, ms: 0 }, bare: { done: 0, ms: 0 } };
  try {
    await warm.getPluginEndpoint(request);
    await bare.getPluginEndpoint(request);
    const slices = Math.max(1, Math.round(WARM_SECONDS / SLICE_SECONDS));
    for (let i = 0; i < slices; i++) {
      for (const [name, client] of [
        ['warm', warm],
        ['bare', bare],
      ] as const) {
        const slice = await measureSlice(client, request);
        totals[name].done += slice.done;
        totals[name].ms += slice.ms;
      }
    }
    return {
      warm: totals.warm.done / (totals.warm.ms / 1000),
      bare: totals.bare.done / (totals.bare.ms / 1000),
    };
  } finally {
    warm.close();
    bare.close();
  }
}

/** Calls answered in one slice, `CONCURRENCY` in flight, and how long the slice took. */
async function measureSlice(
  client: PluginClient,
  request: { plugin_id: string; version: string; domain_id: string },
): Promise<{ done: number; ms: number }> {
  const started = performance.now();
  const deadline = started + SLICE_SECONDS * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await client.getPluginEndpoint(request);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { done, ms: performance.now() - started };
}

function report(cold: ColdResult, warm: number, bare: number): void {
  const endpoint = median(cold.endpointMs);
  const spawnMs = median(cold.spawnMs);
  const lines = [
    `cold get_plugin_endpoint, plugin-echo (median of ${ROUNDS}): ${endpoint.toFixed(1)} ms`,
    `direct spawn until health check answers (median of ${ROUNDS}): ${spawnMs.toFixed(1)} ms`,
    `ratio cold endpoint / direct spawn: ${(endpoint / spawnMs).toFixed(2)} (goal <= 1.5)`,
    `warm get_plugin_endpoint: ${warm.toFixed(0)} req/s (${CONCURRENCY} in flight, ${WARM_SECONDS} s in slices)`,
    `bare grpc-js unary handler: ${bare.toFixed(0)} req/s (same client and concurrency, alternating)`,
    `ratio warm / bare: ${((warm / bare) * 100).toFixed(0)} % (goal >= 60 %)`,
  ];
  console.log(lines.join('\n'));
}

function writeBenchCatalog(dir: string): string {
  const versions = Array.from({ length: ROUNDS }, (_, i) => `'bench.${i + 1}'`).join(', ');
  const path = join(dir, 'bench-catalog.yaml');
  writeFileSync(
    path,
    [
      'plugins:',
      '  plugin-echo:',
      '    name: Echo',
      '    resource_type: plugvisor.Example',
      `    versions: [${versions}]`,
      '    process:',
      '      command: node',
      "      args: ['${PLUGVISOR_HOME}/dist/examples/plugins/echo/server.js']",
      '',
    ].join('\n'),
  );
  return path;
}

async function startUp(
  dir: string,
  catalog: string,
): Promise<{ child: ChildProcess; grpcAddress: string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'up',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--data-dir',
      dir,
      '--catalog',
      catalog,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const grpcAddress = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /Plugvisor is up: gRPC (\S+),/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error('plugvisor up exited during start')));
  });
  return { child, grpcAddress };
}

/** `up` registers its supervisor right after its first publish; placement needs it ENABLED. */
async function waitForLocalSupervisor(address: string, token: string | undefined): Promise<void> {
  const client = new SupervisorClient(address, { token });
  try {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const list = await client.list({ domain_id: DOMAIN }).catch(() => undefined);
      if (list?.results[0]?.state === 'ENABLED') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the local supervisor was not ENABLED within 20 s');
  } finally {
    client.close();
  }
}

async function startBareServer(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare-server'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, address: line.trim() };
}

/** The baseline: `spaceone.api.plugin.v1.Plugin/get_plugin_endpoint` answering a constant. */
async function runBareServer(): Promise<void> {
  const defs = loadProtos('server');
  const service = defs['spaceone.api.plugin.v1.Plugin'] as unknown as grpc.ServiceDefinition;
  const server = new grpc.Server();
  server.addService(service, {
    get_plugin_endpoint: (_call: unknown, callback: grpc.sendUnaryData<object>) =>
      callback(null, { endpoint: 'grpc://127.0.0.1:1', access_token: '', updated_version: '' }),
    notify_failure: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, {}),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  console.log(`127.0.0.1:${port}`);
  process.on('SIGTERM', () => server.forceShutdown());
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const isEntryPoint =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isEntryPoint) {
  const run = process.argv.includes('--bare-server') ? runBareServer() : main();
  run.catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
