import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { findFreePort } from '../../../src/agent/backends/process/free-port.js';
import { probeOnce, waitUntilServing } from '../../../src/agent/backends/process/health-probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverJs = join(here, 'server.js');
const protoDir = join(here, '../../../../examples/plugins/echo');

describe('the echo example plugin', () => {
  it('serves health, get_version and echo on the port from its environment, and exits 0 on SIGTERM', async (t) => {
    const port = await findFreePort();
    const child = spawn(process.execPath, [serverJs], {
      env: {
        ...process.env,
        PLUGVISOR_PLUGIN_PORT: String(port),
        PLUGVISOR_PLUGIN_ID: 'plugin-echo',
        PLUGVISOR_PLUGIN_VERSION: '1.1.0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));

    assert.equal(
      await waitUntilServing('127.0.0.1', port, { signal: AbortSignal.timeout(10_000) }),
      true,
    );
    assert.equal(await probeOnce('127.0.0.1', port, 'grpc'), 'SERVING');

    const services = loadClients();
    const serverInfo = new services.ServerInfo(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const echo = new services.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    t.after(() => {
      serverInfo.close();
      echo.close();
    });
    assert.deepEqual(await unary(serverInfo, 'get_version', {}), { version: '1.1.0' });
    assert.deepEqual(await unary(echo, 'echo', { message: 'héllo' }), {
      message: 'héllo',
      plugin_id: 'plugin-echo',
      version: '1.1.0',
    });

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(await probeOnce('127.0.0.1', port, 'tcp'), 'UNREACHABLE');
  });

  it('exits 1 with a message naming the variable when PLUGVISOR_PLUGIN_PORT is missing', async () => {
    const env = { ...process.env };
    delete env.PLUGVISOR_PLUGIN_PORT;
    const child = spawn(process.execPath, [serverJs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const [code] = (await once(child, 'exit')) as [number | null];

    assert.equal(code, 1);
    assert.match(stderr, /PLUGVISOR_PLUGIN_PORT must be a port number/);
  });
});

function loadClients(): Record<'ServerInfo' | 'Echo', grpc.ServiceClientConstructor> {
  const definition = protoLoader.loadSync(
    [join(protoDir, 'server-info.proto'), join(protoDir, 'echo-service.proto')],
    { keepCase: true, defaults: true },
  );
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    spaceone: { api: { core: { v1: { ServerInfo: grpc.ServiceClientConstructor } } } };
    plugvisor: { examples: { echo: { v1: { Echo: grpc.ServiceClientConstructor } } } };
  };
  return {
    ServerInfo: loaded.spaceone.api.core.v1.ServerInfo,
    Echo: loaded.plugvisor.examples.echo.v1.Echo,
  };
}

function unary(client: grpc.Client, method: string, request: object): Promise<unknown> {
  type UnaryMethod = (req: object, cb: (err: Error | null, res: unknown) => void) => void;
  const call = (client as unknown as Record<string, UnaryMethod>)[method];
  if (call === undefined) throw new Error(`no method ${method}`);

  return new Promise((resolve, reject) =>
    call.call(client, request, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
