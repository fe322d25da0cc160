import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { sortVersions } from '../domain/index.js';
import type { CatalogPlugin, CatalogProcess } from './catalog.js';
import { Catalog } from './catalog.js';

/** The container port a plugin listens on when the catalog does not say (SpaceONE's default). */
export const DEFAULT_PLUGIN_PORT = 50051;

/**
 * Reads and validates the catalog file at `path` (schema in docs/catalog.md).
 *
 * @throws CatalogError naming the file and the path of the bad key (`plugins.plugin-echo.versions[0]`)
 *   when the file is missing, is not YAML, or does not match the schema.
 */
export async function loadCatalog(
  path: string,
  options: LoadCatalogOptions = {},
): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CatalogError(path, `cannot read the file (${(err as Error).message})`, {
      cause: err,
    });
  }
  return parseCatalog(text, { ...options, source: path });
}

/**
 * Validates catalog YAML text. `${PLUGVISOR_HOME}` in a process command, argument, environment
 * value or cwd is replaced by `options.home` (default: `plugvisorHome()`); any other `${…}` is an
 * error, so a typo cannot start a wrong command.
 *
 * @throws CatalogError as `loadCatalog`.
 */
export function parseCatalog(text: string, options: ParseCatalogOptions = {}): Catalog {
  const source = options.source ?? '<catalog>';
  const home = options.home ?? plugvisorHome();
  const raw = parseYamlText(text, source);

  const parsed = catalogFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw new CatalogError(source, `${formatPath(issue.path)}: ${issueMessage(issue)}`);
  }

  const plugins = Object.entries(parsed.data.plugins).map(([pluginId, entry]) =>
    toCatalogPlugin(pluginId, entry, { home, source }),
  );
  return new Catalog(plugins);
}

/** Options of `loadCatalog`. */
export interface LoadCatalogOptions {
  /** What `${PLUGVISOR_HOME}` stands for; default `plugvisorHome()`. */
  home?: string;
}

/** Options of `parseCatalog`. */
export interface ParseCatalogOptions extends LoadCatalogOptions {
  /** Names the text in errors (the file path). */
  source?: string;
}

/** The catalog file is unreadable or invalid. Thrown at startup, never for a request. */
export class CatalogError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid plugin catalog ${source}: ${reason}`, options);
    this.name = 'CatalogError';
  }
}

/**
 * The Plugvisor package root: environment variable `PLUGVISOR_HOME` if set, else the nearest
 * folder above this module holding Plugvisor's package.json.
 */
export function plugvisorHome(): string {
  const fromEnv = process.env['PLUGVISOR_HOME'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);

  let dir = dirname(fileURLToPath(import.meta.url));
  while (dirname(dir) !== dir) {
    if (isPlugvisorPackage(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the Plugvisor package root; set PLUGVISOR_HOME');
}

/** The catalog `plugvisor up` and `serve` use when none is configured. */
export function defaultCatalogPath(): string {
  return join(plugvisorHome(), 'catalog', 'default.yaml');
}

const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_~-]*$/;
const PLUGIN_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;

const text = (what: string) =>
  z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` });

const scalarText = z
  .union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' })
  .transform(String);

const versionSchema = z
  .string({ error: "a version must be a quoted string (YAML reads 1.0 as the number 1): '1.0'" })
  .max(128)
  .regex(VERSION_PATTERN, { error: 'a version is letters, digits and . + _ ~ - (no spaces)' });

const processSchema = z.strictObject({
  command: text('command'),
  args: z.array(z.string({ error: 'an argument must be a string' })).default([]),
  env: z.record(z.string(), scalarText).default({}),
  cwd: text('cwd').optional(),
});

const pluginSchema = z
  .strictObject({
    name: text('name'),
    resource_type: text('resource_type'),
    versions: z
      .array(versionSchema)
      .min(1, { error: 'a plugin needs at least one version' })
      .refine((v) => new Set(v).size === v.length, { error: 'versions must not repeat' }),
    labels: z.record(z.string(), scalarText).default({}),
    image: text('image').optional(),
    registry: z
      .strictObject({ url: text('url'), auth_ref: text('auth_ref').optional() })
      .optional(),
    port: z.int({ error: 'port must be an integer' }).min(1).max(65535).optional(),
    process: processSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.image === undefined && p.process === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a plugin needs an image or a process (or both)' });
    }
    if (p.registry !== undefined && p.image === undefined) {
      ctx.addIssue({ code: 'custom', path: ['registry'], message: 'registry needs an image' });
    }
  });

const catalogFileSchema = z.strictObject({
  plugins: z.record(
    z.string().regex(PLUGIN_ID_PATTERN, {
      error: 'a plugin_id is lower-case letters, digits, dot, dash and underscore',
    }),
    pluginSchema,
  ),
});

type PluginEntry = z.infer<typeof pluginSchema>;

function parseYamlText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    throw new CatalogError(source, `not valid YAML (${(err as Error).message})`, { cause: err });
  }
}

function toCatalogPlugin(
  pluginId: string,
  entry: PluginEntry,
  context: { home: string; source: string },
): CatalogPlugin {
  const at = `plugins.${pluginId}.process`;
  const plugin: CatalogPlugin = {
    plugin_id: pluginId,
    name: entry.name,
    resource_type: entry.resource_type,
    versions: sortVersions(entry.versions),
    labels: entry.labels,
    port: entry.port ?? DEFAULT_PLUGIN_PORT,
  };
  if (entry.image !== undefined) plugin.image = entry.image;
  if (entry.registry !== undefined) plugin.registry = entry.registry;
  if (entry.process !== undefined) plugin.process = substituteProcess(entry.process, at, context);
  return plugin;
}

function substituteProcess(
  spec: CatalogProcess,
  at: string,
  context: { home: string; source: string },
): CatalogProcess {
  const sub = (value: string, path: string) => substitute(value, path, context);
  const out: CatalogProcess = {
    command: sub(spec.command, `${at}.command`),
    args: spec.args.map((a, i) => sub(a, `${at}.args[${i}]`)),
    env: Object.fromEntries(
      Object.entries(spec.env).map(([k, v]) => [k, sub(v, `${at}.env.${k}`)]),
    ),
  };
  if (spec.cwd !== undefined) out.cwd = sub(spec.cwd, `${at}.cwd`);
  return out;
}

function substitute(
  value: string,
  path: string,
  context: { home: string; source: string },
): string {
  return value.replace(PLACEHOLDER, (_match, name: string) => {
    if (name === 'PLUGVISOR_HOME') return context.home;
    throw new CatalogError(
      context.source,
      `${path}: unknown placeholder \${${name}} (only \${PLUGVISOR_HOME})`,
    );
  });
}

/** A record key's own issue says more than zod's generic "Invalid key in record". */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

/** `['plugins', 'echo', 'versions', 0]` → `plugins.echo.versions[0]`. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function isPlugvisorPackage(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'plugvisor';
  } catch {
    return false;
  }
}
