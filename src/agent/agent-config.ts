import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Settings of `plugvisor agent`, resolved and validated. */
export interface AgentConfig {
  /** The control plane's gRPC address, `host:port`. */
  controlPlane: string;
  /** Sent as metadata `token`; empty when none. */
  token: string;
  /** The supervisor's name (default: the hostname). */
  name: string;
  /** Identifies the supervisor together with the domain (default: the machine's hostname). */
  hostname: string;
  /** Publish under this domain; empty lets the token decide. */
  domainId: string;
  secretKey: string;
  labels: Record<string, string>;
  tags: Record<string, string>;
  /** Ask for a public supervisor (only a system token may). */
  isPublic: boolean;
  backend: 'process';
  /** Loopback address the process backend gives plugins. */
  processHost: string;
  stopGraceMs: number;
  startTimeoutMs: number;
  maxRestarts: number;
  /** The catalog file the agent reads process commands from; empty means the default catalog. */
  catalog: string;
  dataDir: string;
  heartbeatIntervalMs: number;
  resyncIntervalMs: number;
  logLevel: string;
}

type SettingKey =
  | 'control_plane'
  | 'token'
  | 'name'
  | 'hostname'
  | 'domain_id'
  | 'secret_key'
  | 'labels'
  | 'tags'
  | 'public'
  | 'backend'
  | 'process_host'
  | 'stop_grace'
  | 'start_timeout'
  | 'max_restarts'
  | 'catalog'
  | 'data_dir'
  | 'heartbeat_interval'
  | 'resync_interval'
  | 'log_level';

/** Settings as they come from one source (flags, environment or file); all optional. */
export type AgentSettings = Partial<Record<SettingKey, unknown>>;

/** The environment variable of each setting: `PLUGVISOR_AGENT_` and the key in upper case. */
export const AGENT_ENV = Object.fromEntries(
  [
    'control_plane',
    'token',
    'name',
    'hostname',
    'domain_id',
    'secret_key',
    'labels',
    'tags',
    'public',
    'backend',
    'process_host',
    'stop_grace',
    'start_timeout',
    'max_restarts',
    'catalog',
    'data_dir',
    'heartbeat_interval',
    'resync_interval',
    'log_level',
    'config',
  ].map((key) => [key, `PLUGVISOR_AGENT_${key.toUpperCase()}`]),
) as Readonly<Record<SettingKey | 'config', string>>;

/** Defaults of the settings that have one. */
export const AGENT_DEFAULTS = {
  control_plane: '127.0.0.1:50051',
  token: '',
  domain_id: '',
  secret_key: '',
  labels: {},
  tags: {},
  public: false,
  backend: 'process',
  process_host: '127.0.0.1',
  stop_grace: 5_000,
  start_timeout: 60_000,
  max_restarts: 5,
  catalog: '',
  data_dir: './.plugvisor',
  heartbeat_interval: 30_000,
  resync_interval: 30_000,
  log_level: 'info',
} as const;

/** A setting is missing, malformed, or the config file cannot be read. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

const duration = z.union([z.number().int().min(1), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 30s, 2m or 1h' });
    return z.NEVER;
  }
  return ms;
});

const keyValues = z
  .union([z.record(z.string(), z.coerce.string()), z.string()])
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    const parsed = parseKeyValues(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be key=value pairs separated by commas' });
      return z.NEVER;
    }
    return parsed;
  });

const settingSchemas: Record<SettingKey, z.ZodType> = {
  control_plane: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port'),
  token: z.string(),
  name: z.string().min(1).max(255),
  hostname: z.string().min(1).max(255),
  domain_id: z.string(),
  secret_key: z.string(),
  labels: keyValues,
  tags: keyValues,
  public: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
  backend: z.enum(['process']),
  process_host: z.string().min(1),
  stop_grace: duration,
  start_timeout: duration,
  max_restarts: z.coerce.number().int().min(0).max(1000),
  catalog: z.string(),
  data_dir: z.string().min(1),
  heartbeat_interval: duration,
  resync_interval: duration,
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
};

/**
 * Resolves the agent's settings with precedence flag > environment (`PLUGVISOR_AGENT_*`) > config
 * file > default. The config file is `flags.config`, else `$PLUGVISOR_AGENT_CONFIG`; it is a YAML
 * mapping with the setting keys above (labels and tags as mappings; durations as `30s`, `500ms`).
 *
 * @throws AgentConfigError naming the bad key and where its value came from.
 */
export function loadAgentConfig(
  flags: AgentSettings & { config?: string },
  env: NodeJS.ProcessEnv,
): AgentConfig {
  const configPath = flags.config ?? env[AGENT_ENV.config];
  const file = configPath === undefined || configPath === '' ? {} : readConfigFile(configPath);

  const pick = <T>(key: SettingKey): T => {
    const envValue = env[AGENT_ENV[key]];
    const sources: [string, unknown][] = [
      [`flag --${key.replaceAll('_', '-')}`, flags[key]],
      [`environment ${AGENT_ENV[key]}`, envValue === '' ? undefined : envValue],
      [`config file key ${key}`, file[key]],
    ];
    const found = sources.find(([, value]) => value !== undefined);
    const [source, value] = found ?? ['default', (AGENT_DEFAULTS as Record<string, unknown>)[key]];
    if (value === undefined) return undefined as T;

    const parsed = settingSchemas[key].safeParse(value);
    if (!parsed.success) {
      throw new AgentConfigError(
        `invalid ${key} (from ${source}): ${parsed.error.issues[0]?.message ?? 'invalid value'}`,
      );
    }
    return parsed.data as T;
  };

  const hostname = pick<string | undefined>('hostname') ?? osHostname();
  return {
    controlPlane: pick('control_plane'),
    token: pick('token'),
    name: pick<string | undefined>('name') ?? hostname,
    hostname,
    domainId: pick('domain_id'),
    secretKey: pick('secret_key'),
    labels: pick('labels'),
    tags: pick('tags'),
    isPublic: pick('public'),
    backend: pick('backend'),
    processHost: pick('process_host'),
    stopGraceMs: pick('stop_grace'),
    startTimeoutMs: pick('start_timeout'),
    maxRestarts: pick('max_restarts'),
    catalog: pick('catalog'),
    dataDir: pick('data_dir'),
    heartbeatIntervalMs: pick('heartbeat_interval'),
    resyncIntervalMs: pick('resync_interval'),
    logLevel: pick('log_level'),
  };
}

/** Milliseconds in `500ms`, `30s`, `2m`, `1h` or a bare number of milliseconds; else undefined. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (match === null) return undefined;

  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : undefined;
}

/** `{ a: '1', b: '2' }` from `a=1,b=2`; undefined when a pair has no `=` or an empty key. */
export function parseKeyValues(text: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    result[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return result;
}

function readConfigFile(path: string): AgentSettings {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AgentConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new AgentConfigError(`config file ${path} must be a YAML mapping`);
  }

  const unknown = Object.keys(data).find((key) => !(key in settingSchemas));
  if (unknown !== undefined)
    throw new AgentConfigError(`config file ${path} has an unknown key ${unknown}`);
  return data as AgentSettings;
}
