import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A TCP port on `host` that nobody listens on right now, found by binding port 0 and closing.
 * Another process may take it before the plugin binds it; the plugin then fails to start and the
 * process backend restarts it on a new port.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');

  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  if (address === null || typeof address === 'string')
    throw new Error(`cannot find a free port on ${host}`);
  return address.port;
}

/** Whether `port` on `host` can be bound right now. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, host);
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}
