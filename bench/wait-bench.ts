/**
 * `npm run bench:wait`: shows that a get_plugin_endpoint call waiting for an instance costs the
 * server no CPU (no polling loop).
 *
 * 1. starts `plugvisor serve` as a child process on a temporary SQLite file and catalog, and
 *    registers one supervisor (no agent runs, so instances stay PROVISIONING);
 * 2. measures the server's CPU time (utime + stime from /proc/PID/stat) over ten idle seconds;
 * 3. starts a separate client process that opens 500 get_plugin_endpoint calls, waits until
 *    the server has taken them in (its CPU goes quiet; that one-off cost is reported apart), and
 *    measures the server's CPU time over ten more seconds while the calls wait;
 * 4. publishes the instances ACTIVE (as an agent would) and reports how fast all 500 answered.
 *
 * Options: --calls N (500), --seconds S (10).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SupervisorClient } from '../src/transport/client/index.js';
import { startServeProcess, type ServeProcess } from '../test/support/serve-process.js';

const DOMAIN = 'domain-bench';
const VERSIONS = ['1.0.0', '1.1.0'];
const CATALOG = `
plugins:
  plugin-echo:
    name: Echo
    resource_type: plugvisor.Example
    versions: ['1.0.0', '1.1.0']
    process: { command: node }
`;

async function main(): Promise<void> {
  const calls = numberFlag('--calls', 500);
  const seconds = numberFlag('--seconds', 10);
  const dir = mkdtempSync(join(tmpdir(), 'pv-wait-bench-'));
  let server: ServeProcess | undefined;
  try {
    server = await startServer(dir);
    const supervisors = new SupervisorClient(server.grpcAddress);
    const hostname = await enabledSupervisor(supervisors);

    const idleMs = await cpuOver(server.pid, seconds);
    const arrivalStart = cpuTicks(server.pid);
    const client = startClient(server.grpcAddress, calls);
    await client.sent;
    await untilQuiet(server.pid);
    const arrivalMs = ticksToMs(cpuTicks(server.pid) - arrivalStart);
    const waitingMs = await cpuOver(server.pid, seconds);

    const released = performance.now();
    await reportActive(supervisors, hostname);
    const outcome = await client.done;
    supervisors.close();

    const releaseMs = performance.now() - released;
    printReport({ calls, seconds, idleMs, arrivalMs, waitingMs, outcome, releaseMs });
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startServer(dir: string): Promise<ServeProcess> {
  const catalog = join(dir, 'catalog.yaml');
  writeFileSync(catalog, CATALOG);
  return startServeProcess([
    '--database',
    `sqlite:${join(dir, 'plugvisor.db')}`,
    '--catalog',
    catalog,
    '--install-timeout',
    '300',
    // The bench measures waiting, not tokens.
    '--no-auth',
  ]);
}

async function enabledSupervisor(supervisors: SupervisorClient): Promise<string> {
  const hostname = 'bench-host';
  const s = await supervisors.publish({ name: hostname, hostname, domain_id: DOMAIN });
  await supervisors.register({ supervisor_id: s.supervisor_id, domain_id: DOMAIN });
  return hostname;
}

async function reportActive(supervisors: SupervisorClient, hostname: string): Promise<void> {
  await supervisors.publish({
    name: hostname,
    hostname,
    domain_id: DOMAIN,
    plugin_info: VERSIONS.map((version, i) => ({
      plugin_id: 'plugin-echo',
      version,
      state: 'ACTIVE',
      endpoints: [`grpc://127.0.0.1:${7000 + i}`],
    })),
  });
}

interface ClientOutcome {
  answered: number;
  failed: number;
  firstError?: string;
  lastAnswerMs: number;
}

function startClient(address: string, calls: number) {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'wait-client.js');
  const child = spawn(
    process.execPath,
    [script, address, String(calls), DOMAIN, VERSIONS.join(',')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  let markSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const done = new Promise<ClientOutcome>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'sent') markSent();
      else resolve(JSON.parse(line) as ClientOutcome);
    });
    child.on('exit', (code) => reject(new Error(`bench client exited with ${String(code)}`)));
  });
  return { sent, done };
}

/** CPU time (user + system) the process used over the next `seconds`, in milliseconds. */
async function cpuOver(pid: number, seconds: number): Promise<number> {
  const before = cpuTicks(pid);
  await sleep(seconds * 1000);
  return ticksToMs(cpuTicks(pid) - before);
}

/**
 * Waits until the server has taken in the burst of calls (each arriving call finds or creates its
 * instance and registers as a waiter): it must have used CPU, and then none for a whole second.
 */
async function untilQuiet(pid: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = cpuTicks(pid);
  let busy = false;
  let quietSamples = 0;
  while (!busy || quietSamples < 4) {
    if (Date.now() > deadline) throw new Error('the server never went quiet after the calls');
    await sleep(250);
    const now = cpuTicks(pid);
    busy ||= now > last;
    quietSamples = now === last ? quietSamples + 1 : 0;
    last = now;
  }
}

function ticksToMs(ticks: number): number {
  return (ticks * 1000) / clockTicksPerSecond();
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3: utime is field 14.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  ticksPerSecond ??=
    Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

function printReport(r: {
  calls: number;
  seconds: number;
  idleMs: number;
  arrivalMs: number;
  waitingMs: number;
  outcome: ClientOutcome;
  releaseMs: number;
}): void {
  const ms = (v: number) => `${v.toFixed(0).padStart(6)} ms`;
  console.log(`server CPU time, user + system (resolution ${1000 / clockTicksPerSecond()} ms):`);
  console.log(`  idle, nothing waiting, over ${r.seconds} s          ${ms(r.idleMs)}`);
  console.log(`  ${r.calls} calls waiting for ACTIVE, over ${r.seconds} s  ${ms(r.waitingMs)}`);
  console.log(`  taking in the ${r.calls} calls (once, before that) ${ms(r.arrivalMs)}`);
  console.log(
    `after the agent's publish: ${r.outcome.answered} answered, ${r.outcome.failed} failed, ` +
      `the last ${r.releaseMs.toFixed(0)} ms after the publish was sent`,
  );
  if (r.outcome.firstError !== undefined) console.log(`  first error: ${r.outcome.firstError}`);
}

function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? undefined : Number(process.argv[i + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
