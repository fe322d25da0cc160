import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { pino, type Logger } from 'pino';

import { loadAgentConfig, startAgent, type PublishedSupervisor } from '../../agent/index.js';
import { ensureLocalToken, LOG_REDACT_PATHS } from '../../auth/index.js';
import { CatalogError } from '../../catalog/index.js';
import { ConfigError, SERVE_DEFAULTS, loadServeConfig } from '../../config/index.js';
import { startControlPlane } from '../../server/index.js';
import { SupervisorClient } from '../../transport/client/index.js';
import { addServerOptions } from '../server-options.js';
import { untilSignal } from './agent.js';

/** The domain `plugvisor up` publishes its local supervisor in (client commands default to it). */
export const LOCAL_DOMAIN_ID = 'domain-local';

/**
 * `plugvisor up`: the control plane and one local supervisor agent (process backend) in one
 * process, with data under `--data-dir`. The local supervisor is named after the host,
 * registered automatically and public: a development install has one host that serves every
 * domain, so placement must find it whatever domain asks. Ctrl-C (or SIGTERM) stops every
 * plugin process it started, then exits.
 */
export function upCommand(setExitCode: (code: number) => void): Command {
  return addServerOptions(
    new Command('up').description(
      'run the control plane and a local supervisor agent in one process',
    ),
    'database, keys, token, plugin logs',
  ).action(async (opts: Record<string, string | undefined>, command: Command) => {
    setExitCode(await runUp(flagsOnly(opts, command)));
  });
}

async function runUp(flags: Record<string, string | undefined>): Promise<number> {
  let config;
  try {
    config = loadServeConfig(
      {
        grpc_port: flags.grpcPort,
        http_port: flags.httpPort,
        host: flags.host,
        data_dir: flags.dataDir,
        log_level: flags.logLevel,
        catalog: flags.catalog,
      },
      process.env,
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`plugvisor up: ${err.message}\n`);
    return 2;
  }

  mkdirSync(config.dataDir, { recursive: true });
  const logger = pino({
    level: config.logLevel,
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
  });
  const { token, path: tokenPath } = await ensureLocalToken(config.dataDir);
  const plane = await startControlPlane(config, { logger });

  const agentAddress = `${loopbackFor(config.host)}:${plane.grpcPort}`;
  const registrar = new LocalRegistrar(agentAddress, token, logger);
  let running;
  try {
    running = await startAgent(
      {
        ...loadAgentConfig({ data_dir: config.dataDir, log_level: config.logLevel }, {}),
        controlPlane: agentAddress,
        token,
        name: osHostname(),
        hostname: osHostname(),
        domainId: LOCAL_DOMAIN_ID,
        secretKey: await localSecret(config.dataDir),
        isPublic: true,
        catalog: config.catalog ?? '',
      },
      logger,
      { onPublished: (supervisor) => registrar.onPublished(supervisor) },
    );
  } catch (err) {
    await plane.close();
    if (!(err instanceof CatalogError)) throw err;
    process.stderr.write(`plugvisor up: ${err.message}\n`);
    return 2;
  }

  printBanner({
    grpc: plane.grpcAddress,
    http: plane.httpAddress,
    dataDir: config.dataDir,
    tokenPath,
    grpcPort: plane.grpcPort,
  });
  const signal = await untilSignal();
  logger.info({ signal }, 'Plugvisor up stopping; stopping every plugin it started');

  await running.stop({ stopInstances: true });
  registrar.close();
  await plane.close();
  return 0;
}

/**
 * Registers the local supervisor after its first publish (PENDING → ENABLED) and makes it public.
 * An operator's later `disable` is respected: only PENDING is acted on.
 */
class LocalRegistrar {
  readonly #client: SupervisorClient;
  readonly #log: Logger;
  #registering = false;

  constructor(address: string, token: string, logger: Logger) {
    this.#client = new SupervisorClient(address, { token, timeoutMs: 10_000 });
    this.#log = logger;
  }

  onPublished(supervisor: PublishedSupervisor): void {
    if (supervisor.state !== 'PENDING' || this.#registering) return;
    this.#registering = true;

    this.#client
      .register({
        supervisor_id: supervisor.supervisor_id,
        domain_id: LOCAL_DOMAIN_ID,
        is_public: true,
      })
      .then(
        () =>
          this.#log.info(
            { supervisorId: supervisor.supervisor_id },
            'Local supervisor registered (public)',
          ),
        (err: unknown) =>
          this.#log.warn(
            { supervisorId: supervisor.supervisor_id, err },
            'Cannot register the local supervisor; retrying on the next publish',
          ),
      )
      .finally(() => (this.#registering = false));
  }

  close(): void {
    this.#client.close();
  }
}

/** The local agent's secret key, created once per data dir, so nobody else can publish as it. */
async function localSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'agent-secret');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const secret = randomBytes(24).toString('base64url');
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function printBanner(info: {
  grpc: string;
  http: string;
  dataDir: string;
  tokenPath: string;
  grpcPort: number;
}): void {
  const address = info.grpcPort === SERVE_DEFAULTS.grpc_port ? '' : ` --address ${info.grpc}`;
  const dataDir = info.dataDir === SERVE_DEFAULTS.data_dir ? '' : ` --data-dir ${info.dataDir}`;
  process.stdout.write(
    [
      '',
      `Plugvisor is up: gRPC ${info.grpc}, REST http://${info.http}`,
      `  local supervisor ${osHostname()} (public, domain ${LOCAL_DOMAIN_ID}), process backend`,
      `  data in ${info.dataDir} (system token in ${info.tokenPath})`,
      '',
      'Try, in another terminal:',
      `  npx plugvisor plugin endpoint plugin-echo --version 1.0.0${address}${dataDir}`,
      `  npx plugvisor plugin list${address}${dataDir}`,
      '  node dist/examples/plugins/echo/call.js <endpoint printed above> hello',
      '',
      'Ctrl-C stops Plugvisor and every plugin it started.',
      '',
    ].join('\n'),
  );
}

function flagsOnly(
  opts: Record<string, string | undefined>,
  command: Command,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (command.getOptionValueSource(key) === 'cli') out[key] = value;
  }
  return out;
}
