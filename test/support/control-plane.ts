import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { mintToken } from '../../src/auth/index.js';
import { startControlPlane, type RunningControlPlane } from '../../src/server/index.js';
import { SupervisorClient } from '../../src/transport/client/index.js';

/** A control plane on free loopback ports over a SQLite file in a fresh temp directory. */
export interface TestControlPlane {
  plane: RunningControlPlane;
  client: SupervisorClient;
  /** A system token minted with the plane's key; `client` and `rest` send it. */
  token: string;
  dir: string;
  database: string;
  baseUrl: string;
  /** One REST call; `body` is sent as JSON unless it is a string or Buffer (sent as is). */
  rest(method: string, path: string, body?: unknown): Promise<RestAnswer>;
  /** Stops the servers and the client; keeps the temp directory unless `removeDir`. */
  stop(removeDir?: boolean): Promise<void>;
}

export interface RestAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Starts a control plane for a test; pass `database` to reuse an existing file. */
export async function startTestControlPlane(
  options: { dir?: string; logger?: Logger } = {},
): Promise<TestControlPlane> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'plugvisor-test-'));
  const database = `sqlite:${join(dir, 'plugvisor.db')}`;
  const plane = await startControlPlane(
    { grpcPort: 0, httpPort: 0, host: '127.0.0.1', database, dataDir: dir },
    { logger: options.logger ?? pino({ level: 'silent' }) },
  );
  if (plane.auth.keys === undefined) throw new Error('test control plane runs without auth');
  const token = await mintToken(plane.auth.keys, { role: 'SYSTEM' });
  const client = new SupervisorClient(plane.grpcAddress, { token });
  const baseUrl = `http://${plane.httpAddress}`;

  const rest = async (method: string, path: string, body?: unknown): Promise<RestAnswer> => {
    const raw = typeof body === 'string' || Buffer.isBuffer(body);
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };

  const stop = async (removeDir = false): Promise<void> => {
    client.close();
    await plane.close();
    if (removeDir) rmSync(dir, { recursive: true, force: true });
  };
  return { plane, client, token, dir, database, baseUrl, rest, stop };
}

/** ISO 8601 UTC with milliseconds, as every time the API returns. */
export const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
