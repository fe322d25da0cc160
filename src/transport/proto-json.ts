import type { PackageDefinition } from '@grpc/proto-loader';
import type { JsonObject, JsonValue } from '../domain/index.js';

/**
 * Conversion at the gRPC edge between the objects @grpc/proto-loader produces (keepCase, enums as
 * strings) and the plain JSON the services speak: `google.protobuf.Struct`, `Value` and
 * `ListValue` become ordinary JSON objects, values and arrays, wherever they sit in a message.
 * The walk is driven by the message descriptors, so it follows the protos as they grow.
 */

const STRUCT = 'google.protobuf.Struct';
const VALUE = 'google.protobuf.Value';
const LIST_VALUE = 'google.protobuf.ListValue';

interface FieldDescriptor {
  name: string;
  type: string;
  typeName: string;
  label: string;
}

/** Converts a decoded message of type `typeName` to plain JSON (Struct fields as JSON). */
export function messageToJson(
  defs: PackageDefinition,
  typeName: string,
  message: unknown,
): Record<string, unknown> {
  return walk(defs, typeName, message, 'toJson') as Record<string, unknown>;
}

/** Converts plain JSON to the object form proto-loader serializes for `typeName`. */
export function jsonToMessage(
  defs: PackageDefinition,
  typeName: string,
  json: unknown,
): Record<string, unknown> {
  return walk(defs, typeName, json, 'toMessage') as Record<string, unknown>;
}

/** A `google.protobuf.Struct` object (proto-loader form) as a JSON object. */
export function structToJson(struct: unknown): JsonObject {
  const fields = (asRecord(struct)['fields'] ?? {}) as Record<string, unknown>;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) setOwn(out, key, valueToJson(value));
  return out;
}

/** A `google.protobuf.Value` object (proto-loader form) as a JSON value. */
export function valueToJson(value: unknown): JsonValue {
  const v = asRecord(value);
  if (v['structValue'] !== undefined) return structToJson(v['structValue']);
  if (v['listValue'] !== undefined) {
    const values = (asRecord(v['listValue'])['values'] ?? []) as unknown[];
    return values.map(valueToJson);
  }
  if (typeof v['stringValue'] === 'string') return v['stringValue'];
  if (typeof v['numberValue'] === 'number') return v['numberValue'];
  if (typeof v['boolValue'] === 'boolean') return v['boolValue'];
  return null;
}

/** A JSON object as a `google.protobuf.Struct` object (proto-loader form). */
export function jsonToStruct(json: unknown): { fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(asRecord(json)))
    setOwn(fields, key, jsonToValue(value));
  return { fields };
}

/** A JSON value as a `google.protobuf.Value` object (proto-loader form). */
export function jsonToValue(json: unknown): Record<string, unknown> {
  if (json === null || json === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(jsonToValue) } };
  if (typeof json === 'object') return { structValue: jsonToStruct(json) };
  return { stringValue: String(json) };
}

/**
 * The full name (`spaceone.api.plugin.v1.PluginInfo`) of a message type object of `defs`, as found
 * in a method definition's `requestType` / `responseType`.
 */
export function messageName(defs: PackageDefinition, type: unknown): string {
  const descriptor = (type as { type?: { name?: string } } | undefined)?.type;
  const suffix = `.${descriptor?.name ?? ''}`;
  const candidates = Object.keys(defs).filter((key) => key.endsWith(suffix));
  const name =
    candidates.length === 1
      ? candidates[0]
      : candidates.find((key) => JSON.stringify(defs[key]?.type) === JSON.stringify(descriptor));
  if (name === undefined) throw new Error(`message type ${suffix.slice(1)} not found`);
  return name;
}

type Direction = 'toJson' | 'toMessage';

function walk(defs: PackageDefinition, typeName: string, input: unknown, dir: Direction): unknown {
  if (typeName === STRUCT) return dir === 'toJson' ? structToJson(input) : jsonToStruct(input);
  if (typeName === VALUE) return dir === 'toJson' ? valueToJson(input) : jsonToValue(input);
  if (typeName === LIST_VALUE) {
    return dir === 'toJson'
      ? valueToJson({ listValue: input })
      : { values: (Array.isArray(input) ? input : []).map(jsonToValue) };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;

  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const field of fieldsOf(defs, typeName)) {
    const value = out[field.name];
    if (value === undefined || value === null || field.type !== 'TYPE_MESSAGE') continue;
    out[field.name] =
      field.label === 'LABEL_REPEATED' && Array.isArray(value)
        ? value.map((item) => walk(defs, resolveType(defs, typeName, field.typeName), item, dir))
        : walk(defs, resolveType(defs, typeName, field.typeName), value, dir);
  }
  return out;
}

/**
 * The full name of a field's type: descriptors may hold it relative to the enclosing message
 * (`core.v1.Query` inside `spaceone.api.plugin.v1`), resolved as protobuf scoping does.
 */
function resolveType(defs: PackageDefinition, from: string, name: string): string {
  if (name.startsWith('.')) return name.slice(1);
  const scope = from.split('.');
  while (scope.length > 0) {
    const candidate = [...scope, name].join('.');
    if (defs[candidate] !== undefined) return candidate;
    scope.pop();
  }
  return name;
}

function fieldsOf(defs: PackageDefinition, typeName: string): FieldDescriptor[] {
  const definition = defs[typeName] as { type?: { field?: FieldDescriptor[] } } | undefined;
  return definition?.type?.field ?? [];
}

/** Sets an own property, also for keys such as `__proto__` that plain assignment would not. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
