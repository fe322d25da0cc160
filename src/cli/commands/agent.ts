import { Command, Option } from 'commander';
import { pino } from 'pino';

import {
  AGENT_DEFAULTS,
  AGENT_ENV,
  AgentConfigError,
  loadAgentConfig,
  startAgent,
  type AgentSettings,
} from '../../agent/index.js';
import { LOG_REDACT_PATHS, resolveClientToken } from '../../auth/index.js';
import { CatalogError } from '../../catalog/index.js';

const FLAGS: [flag: string, key: keyof AgentSettings, help: string][] = [
  [
    '--control-plane <host:port>',
    'control_plane',
    `control plane gRPC address (default ${AGENT_DEFAULTS.control_plane})`,
  ],
  [
    '--token <token>',
    'token',
    'token sent to the control plane (default: $PLUGVISOR_TOKEN, else <data-dir>/token)',
  ],
  ['--name <name>', 'name', 'supervisor name (default: the hostname)'],
  ['--hostname <hostname>', 'hostname', "supervisor hostname (default: the machine's)"],
  ['--domain-id <id>', 'domain_id', "domain to publish in (default: the token's)"],
  ['--secret-key <secret>', 'secret_key', 'secret the control plane binds the supervisor to'],
  ['--labels <k=v,...>', 'labels', 'supervisor labels, used for placement'],
  ['--tags <k=v,...>', 'tags', 'supervisor tags'],
  ['--public', 'public', 'ask for a public supervisor (system token only)'],
  [
    '--backend <name>',
    'backend',
    `backend (default ${AGENT_DEFAULTS.backend}; the only one so far)`,
  ],
  [
    '--process-host <address>',
    'process_host',
    `address plugins listen on (default ${AGENT_DEFAULTS.process_host})`,
  ],
  ['--stop-grace <duration>', 'stop_grace', 'SIGTERM to SIGKILL delay (default 5s)'],
  [
    '--start-timeout <duration>',
    'start_timeout',
    'time a plugin has to answer its health check (default 60s)',
  ],
  [
    '--max-restarts <n>',
    'max_restarts',
    `crashes in a row before ERROR (default ${AGENT_DEFAULTS.max_restarts})`,
  ],
  [
    '--catalog <file>',
    'catalog',
    'catalog file with the process commands (default catalog/default.yaml)',
  ],
  [
    '--data-dir <dir>',
    'data_dir',
    `state file and plugin logs go under <dir>/agents/<name> (default ${AGENT_DEFAULTS.data_dir})`,
  ],
  ['--heartbeat-interval <duration>', 'heartbeat_interval', 'publish interval (default 30s)'],
  ['--resync-interval <duration>', 'resync_interval', 'full reconcile interval (default 30s)'],
  ['--log-level <level>', 'log_level', `log level (default ${AGENT_DEFAULTS.log_level})`],
];

/**
 * `plugvisor agent`: a supervisor agent with the process backend, connected to a control plane.
 * Runs until SIGINT or SIGTERM; plugins keep running when it stops, and the next start adopts them.
 */
export function agentCommand(setExitCode: (code: number) => void): Command {
  const command = new Command('agent').description(
    'run a supervisor agent: publish to the control plane and run the plugins it places here',
  );
  for (const [flag, key, help] of FLAGS)
    command.addOption(new Option(flag, help).env(AGENT_ENV[key]));
  command.addOption(new Option('--config <file>', 'YAML config file').env(AGENT_ENV.config));

  return command.action(async (opts: Record<string, unknown>, cmd: Command) => {
    setExitCode(await runAgent(flagsOnly(opts, cmd)));
  });
}

async function runAgent(flags: AgentSettings & { config?: string }): Promise<number> {
  let config;
  try {
    config = loadAgentConfig(flags, process.env);
  } catch (err) {
    if (!(err instanceof AgentConfigError)) throw err;
    process.stderr.write(`plugvisor agent: ${err.message}\n`);
    return 2;
  }
  config.token =
    (await resolveClientToken({ explicit: config.token, dataDir: config.dataDir })) ?? '';

  const logger = pino({
    level: config.logLevel,
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
  });
  let running;
  try {
    running = await startAgent(config, logger);
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    process.stderr.write(`plugvisor agent: ${err.message}\n`);
    return 2;
  }

  const signal = await untilSignal();
  logger.info({ signal }, 'Supervisor agent stopping; plugins keep running');
  await running.stop({ stopInstances: false });
  return 0;
}

/** Resolves with the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Only values given as flags, keyed as settings: commander also fills options from the
 * environment, but the config loader must see those as environment values so that the config
 * file sits between flags and environment.
 */
function flagsOnly(
  opts: Record<string, unknown>,
  command: Command,
): AgentSettings & { config?: string } {
  const out: Record<string, unknown> = {};
  for (const [flag, key] of FLAGS) {
    const name = camelCase(flag.split(' ')[0]!.slice(2));
    if (command.getOptionValueSource(name) === 'cli') out[key] = opts[name];
  }
  if (command.getOptionValueSource('config') === 'cli') out.config = opts.config;
  return out;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
