import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** `bin/plugvisor.js`, found from this module (dist/test/support/ or test/support/). */
export function plugvisorBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('dist') && dirname(dir) !== dir) dir = dirname(dir);
  return join(dirname(dir), 'bin', 'plugvisor.js');
}

/** A `plugvisor serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** `host:port` of the gRPC server. */
  grpcAddress: string;
  httpAddress: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `plugvisor serve` on free loopback ports with the given extra flags and resolves once it
 * logged its bound addresses (so its log level must include info).
 *
 * @throws when it exits or stays silent for `startMs` before listening.
 */
export async function startServeProcess(flags: string[], startMs = 20_000): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      plugvisorBin(),
      'serve',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--host',
      '127.0.0.1',
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    const listening = await waitForListening(child, startMs);
    return { child, pid: child.pid as number, ...listening, stop };
  } catch (err) {
    await stop(0);
    throw err;
  }
}

async function waitForListening(
  child: ChildProcess,
  startMs: number,
): Promise<{ grpcAddress: string; httpAddress: string }> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => lines.close(), startMs);
  try {
    for await (const line of lines) {
      const entry = parseLine(line);
      if (entry?.msg === 'Plugvisor listening') {
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout?.resume();
        return { grpcAddress: String(entry['grpc']), httpAddress: String(entry['http']) };
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`plugvisor serve did not start (exit code ${String(child.exitCode)})`);
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
