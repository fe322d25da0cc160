import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadCatalog } from '../catalog/index.js';
import type { ServeConfig } from '../config/index.js';
import type { Clock } from '../domain/index.js';
import { buildServices, type Services } from '../service/index.js';
import { startLivenessJob, type LivenessJob } from '../service/liveness-job.js';
import { openStore, type Store } from '../store/index.js';
import {
  buildRestServer,
  startGrpcServer,
  type GrpcModule,
  type RestModule,
  type RunningGrpcServer,
} from '../transport/index.js';
import { formatHost } from '../transport/grpc/server.js';
import { setUpAuth, type AuthConfig, type AuthSetup } from './auth-setup.js';

/** A running control plane (`plugvisor serve`). */
export interface RunningControlPlane {
  services: Services;
  /** Bound addresses, `host:port`. */
  grpcAddress: string;
  httpAddress: string;
  grpcPort: number;
  httpPort: number;
  /** The authenticator and keys (mint tokens with `auth.keys`; undefined with auth off). */
  auth: AuthSetup;
  /** The liveness job; `runOnce` applies the rule now. */
  liveness: LivenessJob;
  /** Stops both servers (letting running requests finish) and closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * The settings a control plane needs. Authentication is on unless `authDisabled` is true; the
 * keys live in `<dataDir>/keys/` unless `signingKeyFile` names one.
 */
export type ControlPlaneConfig = Pick<ServeConfig, 'grpcPort' | 'httpPort' | 'host' | 'database'> &
  AuthConfig &
  Partial<
    Pick<
      ServeConfig,
      | 'heartbeatTimeoutMs'
      | 'livenessIntervalMs'
      | 'catalog'
      | 'installTimeoutMs'
      | 'unusedAfterMs'
      | 'cleanupIntervalMs'
      | 'waitRecheckMs'
    >
  >;

/** Options besides the settings. */
export interface ControlPlaneOptions {
  logger: Logger;
  clock?: Clock;
  grpcModules?: readonly GrpcModule[];
  restModules?: readonly RestModule[];
}

/**
 * Opens the store, loads the catalog, builds the services, starts the cleanup of unused
 * instances and starts gRPC and REST on the configured host and ports
 * (port 0 picks free ones), then logs one line with the bound addresses. If any step fails, what
 * was started is stopped again before the error is thrown.
 */
export async function startControlPlane(
  config: ControlPlaneConfig,
  options: ControlPlaneOptions,
): Promise<RunningControlPlane> {
  const log = options.logger;
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    const store: Store = await openStore(config.database);
    cleanups.push(() => store.close());
    const catalog = config.catalog === undefined ? undefined : await loadCatalog(config.catalog);
    const services = await buildServices(store, {
      logger: log,
      clock: options.clock,
      catalog,
      installTimeoutMs: config.installTimeoutMs,
      unusedAfterMs: config.unusedAfterMs,
      cleanupIntervalMs: config.cleanupIntervalMs,
      waitRecheckMs: config.waitRecheckMs,
    });
    services.cleanup.start();
    cleanups.push(() => services.cleanup.stop());
    const auth = await setUpAuth(config, log, options.clock);
    cleanups.push(() => Promise.resolve(auth.stop()));
    const liveness = startLivenessJob({
      db: store.db,
      logger: log,
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(config.heartbeatTimeoutMs !== undefined && {
        heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      }),
      ...(config.livenessIntervalMs !== undefined && { intervalMs: config.livenessIntervalMs }),
    });
    cleanups.push(() => liveness.stop());

    const grpc: RunningGrpcServer = await startGrpcServer(services, {
      host: config.host,
      port: config.grpcPort,
      logger: log,
      authenticator: auth.authenticator,
      modules: options.grpcModules,
    });
    cleanups.push(() => grpc.close());
    const rest: FastifyInstance = await buildRestServer(services, {
      logger: log,
      authenticator: auth.authenticator,
      modules: options.restModules,
    });
    await rest.listen({ host: config.host, port: config.httpPort });
    cleanups.push(() => closeRest(rest, REST_CLOSE_GRACE_MS));

    const httpPort = boundPort(rest);
    const grpcAddress = `${formatHost(config.host)}:${grpc.port}`;
    const httpAddress = `${formatHost(config.host)}:${httpPort}`;
    log.info(
      {
        grpc: grpcAddress,
        http: httpAddress,
        database: redact(config.database),
        auth: auth.authenticator.isDisabled ? 'off' : 'on',
      },
      'Plugvisor listening',
    );

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= closeAll().then(() => log.info('Plugvisor stopped'));
      return closing;
    };
    return {
      services,
      grpcAddress,
      httpAddress,
      grpcPort: grpc.port,
      httpPort,
      auth,
      liveness,
      close,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** How long REST requests in progress (a waiting get-endpoint) may finish during shutdown. */
const REST_CLOSE_GRACE_MS = 5000;

/**
 * Closes the REST server, letting requests in progress finish for `graceMs`, then dropping every
 * connection still open: a get-endpoint call may wait minutes, and a connection left half-used by
 * a client that went away would otherwise hold shutdown until its keep-alive timeout.
 */
async function closeRest(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

function boundPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('REST server is not bound');
  return address.port;
}

/** A database URL without credentials, for logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
