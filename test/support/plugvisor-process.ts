import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** One JSON log line of a Plugvisor process. */
export type LogEntry = Record<string, unknown> & { msg?: string };

/** A `plugvisor …` child process whose JSON log lines are collected. */
export interface PlugvisorProcess {
  child: ChildProcess;
  pid: number;
  /** Every log line so far, parsed; non-JSON lines are kept as `{ text }`. */
  logs: LogEntry[];
  /** Resolves with the first log line (past or future) matching `match`. */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  /** Sends `signal` (default SIGTERM), SIGKILL after `graceMs`; resolves with how it exited. */
  stop(
    signal?: NodeJS.Signals,
    graceMs?: number,
  ): Promise<{ code: number | null; signal: string | null }>;
}

/** The repository's `bin/plugvisor.js`, found from this compiled module (dist/test/support). */
export function plugvisorBinPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('dist') && dirname(dir) !== dir) dir = dirname(dir);
  return join(dirname(dir), 'bin', 'plugvisor.js');
}

/** Starts `plugvisor <args>` with stdout collected line by line. */
export function startPlugvisor(args: string[], env: NodeJS.ProcessEnv = {}): PlugvisorProcess {
  const child = spawn(process.execPath, [plugvisorBinPath(), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: LogEntry[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    logs.push(parseLine(line));
    for (const wake of waiters) wake();
  });

  const waitForLog = async (match: (entry: LogEntry) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs.find(match);
      if (found !== undefined) return found;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`plugvisor ${args[0]} exited before the expected log line`);
      if (Date.now() > deadline)
        throw new Error(`plugvisor ${args[0]}: expected log line not seen within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        setTimeout(wake, 100);
      });
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return { code: child.exitCode, signal: child.signalCode };
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const [code, exitSignal] = await exited;
    clearTimeout(timer);
    return { code, signal: exitSignal };
  };

  return { child, pid: child.pid!, logs, waitForLog, stop };
}

/** Polls `condition` every 25 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Pids of live processes (group leaders) started for the agent data dir `agentDataDir`. */
export function pluginProcessesOf(agentDataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && environ.includes(`PLUGVISOR_AGENT_DATA_DIR=${agentDataDir}`))
        pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

/** The pids the process backend's state file under `agentDataDir` records, by `plugin_id@version`. */
export function recordedPids(agentDataDir: string): Record<string, number> {
  try {
    const state = JSON.parse(readFileSync(join(agentDataDir, 'process', 'state.json'), 'utf8')) as {
      instances: { plugin_id: string; version: string; pid: number }[];
    };
    return Object.fromEntries(state.instances.map((i) => [`${i.plugin_id}@${i.version}`, i.pid]));
  } catch {
    return {};
  }
}

function parseLine(line: string): LogEntry {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null ? (value as LogEntry) : { text: line };
  } catch {
    return { text: line };
  }
}
