import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** What one look at a plugin's port found. */
export type ProbeResult = 'SERVING' | 'NOT_SERVING' | 'UNREACHABLE';

/**
 * How a plugin is judged ready: `grpc` asks the standard health service
 * (`grpc.health.v1.Health/Check` with an empty service name) and, when the plugin does not serve
 * it (UNIMPLEMENTED), accepts a TCP connection instead; `tcp` only connects.
 */
export type ProbeMode = 'grpc' | 'tcp';

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');
const DEFAULT_PROBE_TIMEOUT_MS = 1_000;
const FIRST_INTERVAL_MS = 5;
const FAST_MAX_INTERVAL_MS = 50;
const SLOW_AFTER_MS = 10_000;
const SLOW_INTERVAL_MS = 500;

/**
 * Looks once at `host:port`. Never throws: anything that is not a clear answer is UNREACHABLE.
 * The TCP connect comes first so that a port nobody listens on is answered at once, without a
 * gRPC channel and its reconnect backoff.
 */
export async function probeOnce(
  host: string,
  port: number,
  mode: ProbeMode = 'grpc',
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  const accepted = await acceptsTcp(host, port, timeoutMs);
  if (!accepted) return 'UNREACHABLE';
  if (mode === 'tcp') return 'SERVING';

  return checkGrpcHealth(host, port, timeoutMs);
}

/**
 * Probes until the plugin answers SERVING and resolves true; resolves false when `signal` aborts
 * first. Probes start 5 ms apart and back off to 50 ms (a refused loopback connect costs almost
 * nothing, and readiness is what a cold get_plugin_endpoint waits for); after 10 s, every 500 ms.
 */
export async function waitUntilServing(
  host: string,
  port: number,
  options: { mode?: ProbeMode; signal?: AbortSignal } = {},
): Promise<boolean> {
  let interval = FIRST_INTERVAL_MS;
  const slowFrom = Date.now() + SLOW_AFTER_MS;

  while (options.signal?.aborted !== true) {
    if ((await probeOnce(host, port, options.mode)) === 'SERVING') return true;
    try {
      await sleep(interval, undefined, { signal: options.signal });
    } catch {
      return false;
    }
    interval =
      Date.now() > slowFrom ? SLOW_INTERVAL_MS : Math.min(interval * 2, FAST_MAX_INTERVAL_MS);
  }
  return false;
}

function acceptsTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function checkGrpcHealth(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const client = new HealthClient(
    `${host}:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as HealthCheckClient;
  const deadline = new Date(Date.now() + timeoutMs);

  return new Promise<ProbeResult>((resolve) => {
    client.Check({ service: '' }, { deadline }, (err, response) => {
      client.close();
      if (err) resolve(err.code === grpc.status.UNIMPLEMENTED ? 'SERVING' : 'UNREACHABLE');
      else resolve(response?.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
    });
  });
}

interface HealthCheckClient {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
  close(): void;
}
