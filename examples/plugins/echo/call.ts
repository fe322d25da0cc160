/**
 * Calls a running echo plugin: `node dist/examples/plugins/echo/call.js <endpoint> [message]`,
 * where endpoint is what get_plugin_endpoint returned (`grpc://127.0.0.1:PORT`, or `host:port`).
 * Prints the plugin's version (ServerInfo/get_version) and its echo of the message.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { protoFile } from './server.js';

/** What one call to an echo plugin answered. */
export interface EchoAnswer {
  version: string;
  message: string;
  plugin_id: string;
}

/**
 * Calls get_version and echo on the plugin at `endpoint`.
 *
 * @throws Error with the gRPC status when the plugin does not answer within `timeoutMs`.
 */
export async function callEchoPlugin(
  endpoint: string,
  message: string,
  timeoutMs = 5_000,
): Promise<EchoAnswer> {
  const address = endpoint.replace(/^grpc:\/\//, '');
  const definition = protoLoader.loadSync(
    [protoFile('server-info.proto'), protoFile('echo-service.proto')],
    { keepCase: true, defaults: true },
  );
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    spaceone: { api: { core: { v1: { ServerInfo: grpc.ServiceClientConstructor } } } };
    plugvisor: { examples: { echo: { v1: { Echo: grpc.ServiceClientConstructor } } } };
  };
  const serverInfo = new loaded.spaceone.api.core.v1.ServerInfo(
    address,
    grpc.credentials.createInsecure(),
  );
  const echo = new loaded.plugvisor.examples.echo.v1.Echo(
    address,
    grpc.credentials.createInsecure(),
  );

  try {
    const deadline = Date.now() + timeoutMs;
    const { version } = await unary<{ version: string }>(serverInfo, 'get_version', {}, deadline);
    const reply = await unary<{ message: string; plugin_id: string }>(
      echo,
      'echo',
      { message },
      deadline,
    );
    return { version, message: reply.message, plugin_id: reply.plugin_id };
  } finally {
    serverInfo.close();
    echo.close();
  }
}

function unary<T>(
  client: grpc.Client,
  method: string,
  request: object,
  deadline: number,
): Promise<T> {
  type UnaryMethod = (
    req: object,
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res: T) => void,
  ) => void;
  const call = (client as unknown as Record<string, UnaryMethod>)[method];
  if (call === undefined) return Promise.reject(new Error(`no method ${method}`));

  return new Promise((resolve, reject) =>
    call.call(client, request, { deadline }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

async function runFromCommandLine(argv: string[]): Promise<void> {
  const [endpoint, message = 'hello'] = argv;
  if (endpoint === undefined) {
    console.error('usage: node dist/examples/plugins/echo/call.js <endpoint> [message]');
    process.exit(2);
  }
  const answer = await callEchoPlugin(endpoint, message);
  console.log(`${answer.plugin_id} ${answer.version} at ${endpoint} says: ${answer.message}`);
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === realpathSync(process.argv[1])
) {
  runFromCommandLine(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
