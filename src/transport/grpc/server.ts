import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/index.js';
import type { Services } from '../../service/index.js';
import { loadProtos } from '../protos.js';
import { pluginGrpcModule } from './plugin-module.js';
import { agentChannelGrpcModule } from './agent-channel-module.js';
import { supervisorGrpcModule } from './supervisor-module.js';
import type { HandlerContext } from './unary.js';

/** One API service over gRPC (Supervisor, Plugin). */
export interface GrpcModule {
  /** Full names of the services it adds (reported SERVING by the health service). */
  serviceNames: readonly string[];
  register(server: Server, services: Services, ctx: HandlerContext): void;
  /** Called when `server` starts shutting down: end long-lived streams so it can stop at once. */
  closing?(server: Server): void;
}

/** The modules `startGrpcServer` serves when none are given. */
export const DEFAULT_GRPC_MODULES: readonly GrpcModule[] = [
  supervisorGrpcModule,
  pluginGrpcModule,
  agentChannelGrpcModule,
];

/** Options of `startGrpcServer`. */
export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port; the bound one is in the result. */
  port: number;
  logger: Logger;
  /** Establishes each call's caller from metadata `token` and `x_domain_id`. */
  authenticator: Authenticator;
  modules?: readonly GrpcModule[];
}

/** A running gRPC server. */
export interface RunningGrpcServer {
  server: Server;
  /** The port actually bound. */
  port: number;
  /** Stops accepting calls, lets running ones finish for `graceMs`, then cancels the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the gRPC server with every module, server reflection and the standard health service
 * (SERVING for '' and for each module's services).
 */
export async function startGrpcServer(
  services: Services,
  options: GrpcServerOptions,
): Promise<RunningGrpcServer> {
  const defs = loadProtos();
  const modules = options.modules ?? DEFAULT_GRPC_MODULES;
  const server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // Nobody reads channelz here (no channelz service is exposed); tracking it costs every call.
    'grpc.enable_channelz': 0,
  });
  const ctx: HandlerContext = {
    defs,
    logger: options.logger,
    authenticator: options.authenticator,
  };
  for (const module of modules) module.register(server, services, ctx);

  const names = modules.flatMap((m) => m.serviceNames);
  const health = new HealthImplementation(
    Object.fromEntries(['', ...names].map((n) => [n, 'SERVING' as const])),
  );
  health.addToServer(server);
  new ReflectionService(defs).addToServer(server);

  const port = await bind(server, `${formatHost(options.host)}:${options.port}`);
  const close = (graceMs?: number): Promise<void> => {
    for (const module of modules) module.closing?.(server);
    return shutdown(server, graceMs ?? 5000);
  };
  return { server, port, close };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
      err === null ? resolve(port) : reject(err),
    );
  });
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** IPv6 literals need brackets in a host:port address. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
