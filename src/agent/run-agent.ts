import { join } from 'node:path';

import type { Logger } from 'pino';

import { ProcessBackend } from './backends/process/process-backend.js';
import { catalogCommandResolver } from './catalog-commands.js';
import type { AgentConfig } from './agent-config.js';
import type { PublishedSupervisor } from './control-plane.js';
import { GrpcControlPlane } from './grpc-control-plane.js';
import { SupervisorAgent } from './supervisor-agent.js';

/** A running agent with its connections. */
export interface RunningAgent {
  agent: SupervisorAgent;
  backend: ProcessBackend;
  /** Where the backend keeps its state file and logs. */
  dataDir: string;
  /** Stops the agent (see SupervisorAgent.stop) and closes its connections. */
  stop(options: { stopInstances: boolean }): Promise<void>;
}

/**
 * Builds and starts an agent from its configuration: the process backend under
 * `<data_dir>/agents/<name>/`, process commands from the agent's catalog, the control plane over
 * gRPC. Resolves once the agent runs (not once the control plane answered).
 *
 * @throws CatalogError when the catalog file is missing or invalid.
 */
export async function startAgent(
  config: AgentConfig,
  logger: Logger,
  hooks: { onPublished?: (supervisor: PublishedSupervisor) => void } = {},
): Promise<RunningAgent> {
  const dataDir = join(config.dataDir, 'agents', safeDirName(config.name));
  const log = logger.child({ supervisorName: config.name });

  const backend = new ProcessBackend({
    dataDir,
    supervisorName: config.name,
    resolveCommand: await catalogCommandResolver(config.catalog),
    logger: log,
    host: config.processHost,
    stopGraceMs: config.stopGraceMs,
    startTimeoutMs: config.startTimeoutMs,
    restart: { maxRestarts: config.maxRestarts },
  });
  const controlPlane = new GrpcControlPlane({
    address: config.controlPlane,
    token: config.token,
    identity: {
      name: config.name,
      hostname: config.hostname,
      domainId: config.domainId,
      secretKey: config.secretKey,
      labels: config.labels,
      tags: config.tags,
      isPublic: config.isPublic,
    },
  });
  const agent = new SupervisorAgent({
    controlPlane,
    backend,
    logger: log,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    resyncIntervalMs: config.resyncIntervalMs,
    onPublished: hooks.onPublished,
  });

  await agent.start();
  log.info(
    { controlPlane: config.controlPlane, backend: backend.name, dataDir },
    'Supervisor agent started',
  );

  return {
    agent,
    backend,
    dataDir,
    stop: async (options) => {
      await agent.stop(options);
      controlPlane.close();
    },
  };
}

/** A supervisor name as one directory name (no separators, no dot-dot). */
function safeDirName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}
