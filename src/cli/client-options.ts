import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolveClientToken } from '../auth/index.js';
import { defaultDataDir } from './commands/token-create.js';

/** Where client commands look for the control plane unless told otherwise. */
export const DEFAULT_ADDRESS = '127.0.0.1:50051';

/** The domain `plugvisor up` works in, and client commands act in by default. */
export const DEFAULT_DOMAIN_ID = 'domain-local';

/** Environment variables of the client options. */
export const CLIENT_ENV = {
  address: 'PLUGVISOR_ADDRESS',
  token: 'PLUGVISOR_TOKEN',
  domainId: 'PLUGVISOR_DOMAIN_ID',
  dataDir: 'PLUGVISOR_DATA_DIR',
} as const;

/** Output formats of the client commands. */
export type OutputFormat = 'table' | 'json';

/** Everything a client command needs to reach the control plane and print its answer. */
export interface ClientContext {
  address: string;
  /** Undefined when no token is configured (a server with auth off accepts that). */
  token: string | undefined;
  domainId: string;
  output: OutputFormat;
  timeoutMs: number;
}

/** The client options as commander parses them. */
export interface ClientOptionValues {
  address: string;
  token?: string;
  dataDir: string;
  domainId: string;
  output: OutputFormat;
  timeout: number;
}

/**
 * Adds the options every client command takes: `--address`, `--token`, `--data-dir`,
 * `--domain-id`, `--output table|json` and `--timeout <seconds>`, each with its environment
 * variable where it has one. `timeoutSeconds` is the command's default deadline.
 */
export function addClientOptions(command: Command, timeoutSeconds = 30): Command {
  const options = [
    new Option('--address <host:port>', 'gRPC address of the control plane')
      .env(CLIENT_ENV.address)
      .default(DEFAULT_ADDRESS)
      .argParser(parseAddress),
    new Option('--token <token>', 'access token (default: the token file in the data dir)').env(
      CLIENT_ENV.token,
    ),
    new Option('--data-dir <dir>', 'data dir of `plugvisor up`, holding its token file')
      .env(CLIENT_ENV.dataDir)
      .default(defaultDataDir({})),
    new Option('--domain-id <id>', 'domain to act in')
      .env(CLIENT_ENV.domainId)
      .default(DEFAULT_DOMAIN_ID),
    new Option('-o, --output <format>', 'output format')
      .choices(['table', 'json'])
      .default('table'),
    new Option('--timeout <seconds>', 'give up on the call after this many seconds')
      .default(timeoutSeconds)
      .argParser(parsePositiveNumber),
  ];
  for (const option of options) command.addOption(option.helpGroup('Client options:'));
  return command;
}

/** Resolves the parsed options to a context, reading the local token file when needed. */
export async function resolveClientContext(options: ClientOptionValues): Promise<ClientContext> {
  const token = await resolveClientToken({
    explicit: options.token,
    dataDir: options.dataDir,
    env: {},
  });
  return {
    address: options.address,
    token,
    domainId: options.domainId,
    output: options.output,
    timeoutMs: Math.round(options.timeout * 1000),
  };
}

function parseAddress(value: string): string {
  if (!/^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/.test(value)) {
    throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:50051');
  }
  return value;
}

function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}
