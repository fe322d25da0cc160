import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDurationSeconds } from '../domain/duration.js';

/** Settings of `plugvisor serve`. */
export interface ServeConfig {
  grpcPort: number;
  httpPort: number;
  host: string;
  dataDir: string;
  /** `sqlite:PATH`; defaults to `sqlite:<dataDir>/plugvisor.db`. */
  database: string;
  logLevel: string;
  /** Plugin catalog file; undefined means the package's `catalog/default.yaml`. */
  catalog: string | undefined;
  /** get_plugin_endpoint's wait for an instance to become ACTIVE, in milliseconds. */
  installTimeoutMs: number;
  /** Instances whose endpoint was not handed out for this long are removed, in milliseconds. */
  unusedAfterMs: number;
  /** How often the cleanup of unused instances runs, in milliseconds. */
  cleanupIntervalMs: number;
  /** How often waiting get_plugin_endpoint calls re-read their instance (0: events only). */
  waitRecheckMs: number;
  /** True only when started with `--no-auth` / `PLUGVISOR_AUTH=off`: every request is SYSTEM. */
  authDisabled: boolean;
  /** A configured signing key (PEM) instead of the keys in `<dataDir>/keys/`. */
  signingKeyFile?: string;
  /** With `signingKeyFile`: previous keys (PEM) still accepted. */
  verificationKeyFiles: string[];
  /** An ENABLED supervisor silent this long becomes DISCONNECTED (default 5 min). */
  heartbeatTimeoutMs: number;
  /** How often the liveness job runs (default 15 s). */
  livenessIntervalMs: number;
}

/** Settings as they come from one source (flags, environment or file); all optional. */
export type ServeSettings = Partial<Record<SettingKey, unknown>>;

type SettingKey =
  | 'grpc_port'
  | 'http_port'
  | 'host'
  | 'data_dir'
  | 'database'
  | 'log_level'
  | 'catalog'
  | 'install_timeout'
  | 'unused_after'
  | 'cleanup_interval'
  | 'wait_recheck'
  | 'auth'
  | 'signing_key_file'
  | 'verification_key_files'
  | 'heartbeat_timeout'
  | 'liveness_interval';

/** Environment variable of each setting. */
export const SERVE_ENV: Readonly<Record<SettingKey | 'config', string>> = {
  grpc_port: 'PLUGVISOR_GRPC_PORT',
  http_port: 'PLUGVISOR_HTTP_PORT',
  host: 'PLUGVISOR_HOST',
  data_dir: 'PLUGVISOR_DATA_DIR',
  database: 'PLUGVISOR_DATABASE',
  log_level: 'PLUGVISOR_LOG_LEVEL',
  catalog: 'PLUGVISOR_CATALOG',
  install_timeout: 'PLUGVISOR_INSTALL_TIMEOUT',
  unused_after: 'PLUGVISOR_UNUSED_AFTER',
  cleanup_interval: 'PLUGVISOR_CLEANUP_INTERVAL',
  wait_recheck: 'PLUGVISOR_WAIT_RECHECK',
  auth: 'PLUGVISOR_AUTH',
  signing_key_file: 'PLUGVISOR_SIGNING_KEY_FILE',
  verification_key_files: 'PLUGVISOR_VERIFICATION_KEY_FILES',
  heartbeat_timeout: 'PLUGVISOR_HEARTBEAT_TIMEOUT',
  liveness_interval: 'PLUGVISOR_LIVENESS_INTERVAL',
  config: 'PLUGVISOR_CONFIG',
};

/** Defaults of each setting (database derives from data_dir). */
export const SERVE_DEFAULTS = {
  grpc_port: 50051,
  http_port: 8000,
  host: '127.0.0.1',
  data_dir: './.plugvisor',
  log_level: 'info',
  /** Seconds (SPEC §3: 150 s). */
  install_timeout: 150,
  /** Seconds (three days). */
  unused_after: 3 * 24 * 60 * 60,
  /** Seconds (ten minutes). */
  cleanup_interval: 600,
  /** Seconds; 0 means waiting calls are woken by events only (one replica). */
  wait_recheck: 0,
  auth: 'on',
  verification_key_files: [],
  heartbeat_timeout: '5m',
  liveness_interval: '15s',
} as const;

const port = z.coerce.number().int().min(0).max(65535);
/** A positive number of seconds, fractions allowed (tests use short timeouts). */
const seconds = z.coerce
  .number({ error: 'must be a number of seconds' })
  .positive({ error: 'must be a positive number of seconds' })
  .max(365 * 24 * 60 * 60);

const duration = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+[smhdw]?$/, 'must be a duration like 30s, 5m or 1h'),
  ])
  .refine(
    (v) => {
      try {
        parseDurationSeconds(String(v), 'duration');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a positive duration like 30s, 5m or 1h', abort: true },
  )
  .transform((v) => parseDurationSeconds(String(v), 'duration') * 1000);
const settingSchemas: Record<SettingKey, z.ZodType> = {
  grpc_port: port,
  http_port: port,
  host: z.string().min(1),
  data_dir: z.string().min(1),
  database: z.string().regex(/^sqlite:.+/, 'must look like sqlite:PATH'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  catalog: z.string().min(1),
  install_timeout: seconds,
  unused_after: seconds,
  cleanup_interval: seconds,
  wait_recheck: z.coerce
    .number({ error: 'must be a number of seconds' })
    .min(0, { error: 'must be 0 (off) or a positive number of seconds' })
    .max(3600),
  auth: z.enum(['on', 'off']),
  signing_key_file: z.string().min(1),
  verification_key_files: z.union([
    z.array(z.string().min(1)),
    z.string().transform((s) =>
      s
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== ''),
    ),
  ]),
  heartbeat_timeout: duration,
  liveness_interval: duration,
};

/** A setting is missing, malformed or the config file cannot be read. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Resolves the serve settings with precedence flag > environment > config file > default. The
 * config file is `flags.config`, else `$PLUGVISOR_CONFIG`, else none; it is YAML with the keys
 * grpc_port, http_port, host, data_dir, database, log_level, catalog, install_timeout,
 * unused_after, cleanup_interval, wait_recheck (the last four in seconds).
 *
 * @throws ConfigError naming the bad key and where it came from.
 */
export function loadServeConfig(
  flags: ServeSettings & { config?: string },
  env: NodeJS.ProcessEnv,
): ServeConfig {
  const configPath = flags.config ?? env[SERVE_ENV.config];
  const file = configPath === undefined || configPath === '' ? {} : readConfigFile(configPath);
  const fromEnv: ServeSettings = {};
  for (const key of Object.keys(settingSchemas) as SettingKey[]) {
    const value = env[SERVE_ENV[key]];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }

  const pick = (key: SettingKey): unknown => {
    const sources: [string, unknown][] = [
      [`flag --${key.replaceAll('_', '-')}`, flags[key]],
      [`environment ${SERVE_ENV[key]}`, fromEnv[key]],
      [`config file key ${key}`, file[key]],
    ];
    const found = sources.find(([, v]) => v !== undefined);
    if (found === undefined) {
      const fallback = (SERVE_DEFAULTS as Record<string, unknown>)[key];
      return fallback === undefined ? undefined : settingSchemas[key].parse(fallback);
    }
    const parsed = settingSchemas[key].safeParse(found[1]);
    if (!parsed.success) {
      throw new ConfigError(
        `invalid ${key} (from ${found[0]}): ${parsed.error.issues[0]?.message ?? 'invalid value'}`,
      );
    }
    return parsed.data;
  };

  const dataDir = pick('data_dir') as string;
  return {
    grpcPort: pick('grpc_port') as number,
    httpPort: pick('http_port') as number,
    host: pick('host') as string,
    dataDir,
    database: (pick('database') as string | undefined) ?? `sqlite:${join(dataDir, 'plugvisor.db')}`,
    logLevel: pick('log_level') as string,
    catalog: pick('catalog') as string | undefined,
    installTimeoutMs: Math.round((pick('install_timeout') as number) * 1000),
    unusedAfterMs: Math.round((pick('unused_after') as number) * 1000),
    cleanupIntervalMs: Math.round((pick('cleanup_interval') as number) * 1000),
    waitRecheckMs: Math.round((pick('wait_recheck') as number) * 1000),
    authDisabled: pick('auth') === 'off',
    ...(pick('signing_key_file') !== undefined && {
      signingKeyFile: pick('signing_key_file') as string,
    }),
    verificationKeyFiles: (pick('verification_key_files') as string[] | undefined) ?? [],
    heartbeatTimeoutMs: pick('heartbeat_timeout') as number,
    livenessIntervalMs: pick('liveness_interval') as number,
  };
}

function readConfigFile(path: string): ServeSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`config file ${path} must be a YAML mapping`);
  }
  const unknown = Object.keys(data).find((k) => !(k in settingSchemas));
  if (unknown !== undefined)
    throw new ConfigError(`config file ${path} has an unknown key ${unknown}`);
  return data as ServeSettings;
}
