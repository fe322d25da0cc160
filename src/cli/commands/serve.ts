import { Command, Option } from 'commander';
import { ConfigError, SERVE_DEFAULTS, SERVE_ENV, loadServeConfig } from '../../config/index.js';
import { LOG_REDACT_PATHS } from '../../auth/index.js';
import { addServerOptions } from '../server-options.js';

/**
 * `plugvisor serve`: the control plane (Supervisor API over gRPC and REST on the SQLite store).
 * Runs until SIGINT or SIGTERM, then shuts down gracefully; `setExitCode` receives the exit code.
 */
export function serveCommand(setExitCode: (code: number) => void): Command {
  return addServerOptions(
    new Command('serve').description(
      'run the control plane: the Supervisor API over gRPC and REST',
    ),
    'directory for the default database and the signing keys',
  )
    .addOption(
      new Option(
        '--database <url>',
        'database URL, sqlite:PATH (default sqlite:<data-dir>/plugvisor.db)',
      ).env(SERVE_ENV.database),
    )
    .addOption(
      new Option(
        '--no-auth',
        'DANGEROUS: accept requests without tokens, all as the system role (also PLUGVISOR_AUTH=off)',
      ),
    )
    .addOption(
      new Option(
        '--install-timeout <seconds>',
        `how long get_plugin_endpoint waits for an instance to become ACTIVE (default ${SERVE_DEFAULTS.install_timeout})`,
      ).env(SERVE_ENV.install_timeout),
    )
    .addOption(
      new Option(
        '--unused-after <seconds>',
        `remove instances whose endpoint was not handed out for this long (default ${SERVE_DEFAULTS.unused_after})`,
      ).env(SERVE_ENV.unused_after),
    )
    .addOption(
      new Option(
        '--cleanup-interval <seconds>',
        `how often unused instances are removed (default ${SERVE_DEFAULTS.cleanup_interval})`,
      ).env(SERVE_ENV.cleanup_interval),
    )
    .addOption(
      new Option(
        '--wait-recheck <seconds>',
        'with several replicas: how often waiting get_plugin_endpoint calls re-read their instance (default 0: woken by events only)',
      ).env(SERVE_ENV.wait_recheck),
    )
    .addOption(
      new Option(
        '--signing-key-file <pem>',
        'sign tokens with this key instead of <data-dir>/keys/',
      ).env(SERVE_ENV.signing_key_file),
    )
    .addOption(
      new Option(
        '--verification-key-files <pems>',
        'comma-separated previous keys still accepted (with --signing-key-file)',
      ).env(SERVE_ENV.verification_key_files),
    )
    .addOption(
      new Option(
        '--heartbeat-timeout <duration>',
        `an ENABLED supervisor silent this long becomes DISCONNECTED (default ${SERVE_DEFAULTS.heartbeat_timeout})`,
      ).env(SERVE_ENV.heartbeat_timeout),
    )
    .addOption(
      new Option(
        '--liveness-interval <duration>',
        `how often the liveness rule runs (default ${SERVE_DEFAULTS.liveness_interval})`,
      ).env(SERVE_ENV.liveness_interval),
    )
    .addOption(new Option('--config <file>', 'YAML config file').env(SERVE_ENV.config))
    .action(async (opts: Record<string, string | undefined>, command: Command) => {
      setExitCode(await runServe(flagsOnly(opts, command)));
    });
}

async function runServe(flags: Record<string, string | undefined>): Promise<number> {
  let config;
  try {
    config = loadServeConfig(
      {
        grpc_port: flags['grpcPort'],
        http_port: flags['httpPort'],
        host: flags['host'],
        data_dir: flags['dataDir'],
        database: flags['database'],
        log_level: flags['logLevel'],
        catalog: flags['catalog'],
        install_timeout: flags['installTimeout'],
        unused_after: flags['unusedAfter'],
        cleanup_interval: flags['cleanupInterval'],
        wait_recheck: flags['waitRecheck'],
        auth: String(flags['auth']) === 'false' ? 'off' : undefined,
        signing_key_file: flags['signingKeyFile'],
        verification_key_files: flags['verificationKeyFiles'],
        heartbeat_timeout: flags['heartbeatTimeout'],
        liveness_interval: flags['livenessInterval'],
        config: flags['config'],
      },
      process.env,
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`plugvisor serve: ${err.message}\n`);
    return 2;
  }

  // Loaded here, not at the top: the server stack is the slow part of starting the CLI, and the
  // client commands never need it.
  const { pino } = await import('pino');
  const { startControlPlane } = await import('../../server/index.js');
  const logger = pino({
    level: config.logLevel,
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
  });
  const plane = await startControlPlane(config, { logger });
  const reloadKeys = (): void => void plane.auth.reloadKeys();
  process.on('SIGHUP', reloadKeys);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'Plugvisor stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.off('SIGHUP', reloadKeys);
  await plane.close();
  return 0;
}

/**
 * Only values given as flags: commander also fills options from the environment, but the config
 * loader must see those as environment values so that the config file sits between them.
 */
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
