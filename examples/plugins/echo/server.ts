/**
 * The example plugin `plugin-echo`: a real gRPC server that a supervisor's process backend runs.
 *
 * It serves the standard health service (`grpc.health.v1.Health`), SpaceONE's
 * `spaceone.api.core.v1.ServerInfo/get_version` (the version it was started as) and
 * `plugvisor.examples.echo.v1.Echo/echo`. It listens where the backend tells it to:
 *
 * - `PLUGVISOR_PLUGIN_HOST` (default `127.0.0.1`) and `PLUGVISOR_PLUGIN_PORT` (required);
 * - `PLUGVISOR_PLUGIN_ID` and `PLUGVISOR_PLUGIN_VERSION` are reported by its methods.
 *
 * On SIGTERM or SIGINT it reports NOT_SERVING, finishes calls in flight and exits 0; calls still
 * running after five seconds are cut off.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';

const SHUTDOWN_GRACE_MS = 5_000;

/** Where and as what one echo plugin process runs. */
export interface EchoPluginSettings {
  host: string;
  port: number;
  pluginId: string;
  version: string;
}

/** A running echo plugin server. */
export interface EchoPluginServer {
  /** The port it listens on (useful when started on port 0). */
  port: number;
  /** Stops accepting calls, lets calls in flight finish (at most five seconds), then resolves. */
  stop(): Promise<void>;
}

/**
 * Starts the echo plugin's gRPC server and resolves once it accepts calls.
 *
 * @throws Error when the address cannot be bound.
 */
export async function startEchoPlugin(settings: EchoPluginSettings): Promise<EchoPluginServer> {
  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  addPluginServices(server, settings);

  const port = await bind(server, `${settings.host}:${settings.port}`);

  return {
    port,
    stop: () => stopServer(server, health),
  };
}

/** Reads the plugin's settings from the environment the process backend gives it. */
export function readSettingsFromEnv(env: NodeJS.ProcessEnv): EchoPluginSettings {
  const portText = env.PLUGVISOR_PLUGIN_PORT;
  const port = Number(portText);
  if (portText === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PLUGVISOR_PLUGIN_PORT must be a port number, got ${JSON.stringify(portText)}`);
  }

  return {
    host: env.PLUGVISOR_PLUGIN_HOST || '127.0.0.1',
    port,
    pluginId: env.PLUGVISOR_PLUGIN_ID || 'plugin-echo',
    version: env.PLUGVISOR_PLUGIN_VERSION || '0.0.0',
  };
}

function addPluginServices(server: grpc.Server, settings: EchoPluginSettings): void {
  const definitions = protoLoader.loadSync(
    [protoFile('server-info.proto'), protoFile('echo-service.proto')],
    { keepCase: true, defaults: true },
  );
  const loaded = grpc.loadPackageDefinition(definitions) as unknown as LoadedServices;

  server.addService(loaded.spaceone.api.core.v1.ServerInfo.service, {
    get_version: (_call: unknown, callback: grpc.sendUnaryData<{ version: string }>) => {
      callback(null, { version: settings.version });
    },
  });
  server.addService(loaded.plugvisor.examples.echo.v1.Echo.service, {
    echo: (
      call: grpc.ServerUnaryCall<{ message: string }, unknown>,
      callback: grpc.sendUnaryData<EchoReply>,
    ) => {
      callback(null, {
        message: call.request.message,
        plugin_id: settings.pluginId,
        version: settings.version,
      });
    },
  });
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}

function stopServer(server: grpc.Server, health: HealthImplementation): Promise<void> {
  health.setStatus('', 'NOT_SERVING');

  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** The .proto files sit next to this file's source; the compiled file runs from dist/. */
export function protoFile(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, name), join(here, '../../../../examples/plugins/echo', name)];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined)
    throw new Error(`cannot find ${name} (looked in ${candidates.join(', ')})`);
  return found;
}

interface EchoReply {
  message: string;
  plugin_id: string;
  version: string;
}

interface LoadedServices {
  spaceone: { api: { core: { v1: { ServerInfo: grpc.ServiceClientConstructor } } } };
  plugvisor: { examples: { echo: { v1: { Echo: grpc.ServiceClientConstructor } } } };
}

async function runFromCommandLine(): Promise<void> {
  const settings = readSettingsFromEnv(process.env);
  const server = await startEchoPlugin(settings);
  const log = (msg: string, extra: object = {}) =>
    console.log(
      JSON.stringify({ msg, pluginId: settings.pluginId, version: settings.version, ...extra }),
    );
  log('Echo plugin listening', { host: settings.host, port: server.port });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('Echo plugin stopping', { signal });
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === realpathSync(process.argv[1])
) {
  runFromCommandLine().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
