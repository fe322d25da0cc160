import { z } from 'zod';
import {
  InvalidParameterError,
  PLUGIN_STATES,
  RequiredParameterError,
  type JsonObject,
} from '../domain/index.js';

/** Longest id, name, hostname or version a request may carry. */
export const MAX_TEXT_LENGTH = 255;
/** Longest secret_key or endpoint a request may carry. */
export const MAX_LONG_TEXT_LENGTH = 4096;

// A lone surrogate cannot be stored as UTF-8: SQLite would keep U+FFFD instead, so the record
// read back would differ from the one acknowledged.
const wellFormed = z
  .string()
  .regex(/^\P{Cs}*$/u, { message: 'must be well-formed Unicode (no lone surrogates)' });
const text = wellFormed.max(MAX_TEXT_LENGTH);
const requiredText = text.min(1);
const optionalText = text.nullish().transform(orUndefined);
const optionalLongText = wellFormed.max(MAX_LONG_TEXT_LENGTH).nullish().transform(orUndefined);
const optionalBool = z.boolean().nullish().transform(orUndefined);
/** Deepest nesting of objects and lists accepted in tags and labels. */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests objects or lists at most `max` levels deep (iterative: no recursion). */
function nestsAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

// The depth check runs first: zod's recursive z.json() overflows the stack on deep input.
const jsonObject = z
  .unknown()
  .refine((v) => nestsAtMost(v, MAX_JSON_DEPTH), {
    message: `nests deeper than ${MAX_JSON_DEPTH} levels`,
    abort: true,
  })
  .pipe(z.record(z.string(), z.json()).nullish())
  .transform((v) => (v === null || v === undefined ? undefined : (v as JsonObject)))
  .optional();
const pluginState = z
  .enum(['NONE', ...PLUGIN_STATES])
  .nullish()
  .transform((v) => (v === 'NONE' || v === null ? undefined : v));
const queryObject = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => v ?? undefined);

const supervisorKey = {
  supervisor_id: requiredText,
  domain_id: optionalText,
};

/** PluginInfo as an agent reports it inside a publish. */
const pluginReport = z.object({
  plugin_id: requiredText,
  version: requiredText,
  state: pluginState,
  endpoint: optionalLongText,
  endpoints: z
    .array(z.string().max(MAX_LONG_TEXT_LENGTH))
    .max(1000)
    .nullish()
    .transform(orUndefined),
  error_message: z.string().max(MAX_LONG_TEXT_LENGTH).nullish().transform(orUndefined),
  revision: z.int32().min(0).nullish().transform(orUndefined),
});

/** Request shapes of the Supervisor API, one per method, shared by both transports. */
export const supervisorRequests = {
  publish: z.object({
    name: requiredText,
    hostname: requiredText,
    secret_key: optionalLongText,
    plugin_info: z.array(pluginReport).max(1000).nullish().transform(orUndefined),
    tags: jsonObject,
    is_public: optionalBool,
    domain_id: optionalText,
    labels: jsonObject,
  }),
  register: z.object({
    ...supervisorKey,
    name: optionalText,
    is_public: optionalBool,
    priority: z.int32().nullish().transform(orUndefined),
    labels: jsonObject,
    tags: jsonObject,
  }),
  action: z.object(supervisorKey),
  get: z.object({
    ...supervisorKey,
    only: z.array(text).max(100).nullish().transform(orUndefined),
  }),
  recoverPlugin: z.object({
    ...supervisorKey,
    plugin_id: requiredText,
    version: requiredText,
  }),
  list: z.object({
    query: queryObject,
    supervisor_id: optionalText,
    name: optionalText,
    is_public: optionalBool,
    domain_id: optionalText,
  }),
  stat: z.object({
    query: z.record(z.string(), z.unknown()),
    domain_id: optionalText,
  }),
  listPlugins: z.object({
    query: queryObject,
    supervisor_id: optionalText,
    hostname: optionalText,
    plugin_id: optionalText,
    version: optionalText,
    state: pluginState,
    endpoint: optionalLongText,
    domain_id: optionalText,
  }),
};

export type PublishRequest = z.output<typeof supervisorRequests.publish>;
export type RegisterRequest = z.output<typeof supervisorRequests.register>;
export type SupervisorActionRequest = z.output<typeof supervisorRequests.action>;
export type GetSupervisorRequest = z.output<typeof supervisorRequests.get>;
export type RecoverPluginRequest = z.output<typeof supervisorRequests.recoverPlugin>;
export type ListSupervisorsRequest = z.output<typeof supervisorRequests.list>;
export type StatSupervisorsRequest = z.output<typeof supervisorRequests.stat>;
export type ListPluginsRequest = z.output<typeof supervisorRequests.listPlugins>;

/**
 * Checks `input` against `schema` and returns the typed request.
 *
 * @throws RequiredParameterError naming the first key that is missing, null or empty, or
 *   InvalidParameterError naming the first key with a wrong type or value.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidParameterError('request', 'must be a JSON object');
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const key = formatPath(path);
  const value = valueAt(input, path);
  if (value === undefined || value === null || value === '') {
    throw new RequiredParameterError(key);
  }
  throw new InvalidParameterError(key, describeIssue(issue));
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid value';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)} long or large`;
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'request';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}
