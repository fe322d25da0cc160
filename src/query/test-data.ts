import type { Insertable } from 'kysely';
import type { InstalledPluginsTable, SupervisorsTable } from '../store/schema.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same data and queries. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  some<T>(items: readonly T[], max: number): T[] {
    const n = this.int(0, max);
    return Array.from({ length: n }, () => this.pick(items));
  }
}

/** Words with case pairs, unicode (Ü, ß, É, CJK, emoji), quotes and SQL-looking text. */
export const WORDS = [
  'alpha',
  'Alpha',
  'beta-2',
  'Überwachung',
  'überwachung',
  'straße',
  'STRASSE',
  'Émile',
  'émile',
  '日本',
  '🚀 rocket',
  "o'brien",
  'x"y',
  '100%',
  'a_b',
  'dev',
  'prod',
  'PROD',
  '',
] as const;

export const SUPERVISOR_STATES = ['ENABLED', 'DISABLED', 'PENDING', 'DISCONNECTED'] as const;
export const PLUGIN_STATES = ['PROVISIONING', 'ACTIVE', 'RE_PROVISIONING', 'ERROR'] as const;

/** The generated rows, as stored. */
export interface Dataset {
  supervisors: SupervisorsTable[];
  plugins: Insertable<InstalledPluginsTable>[];
  /** Times that occur in the data (useful query values). */
  times: string[];
}

/** Base of generated times: 2026-06-01T00:00:00.000Z. */
export const TIME_BASE = Date.UTC(2026, 5, 1);

/** Generates supervisors (in domain-a and domain-b) and installed plugins on them. */
export function generateDataset(rng: Rng, supervisorCount: number, pluginCount: number): Dataset {
  const times: string[] = [];
  const time = (): string => {
    const t = new Date(TIME_BASE + rng.int(-40, 40) * 3_600_000 + rng.int(0, 999)).toISOString();
    times.push(t);
    return t;
  };
  const supervisors: SupervisorsTable[] = [];
  for (let i = 0; i < supervisorCount; i++) {
    const id = `sv-${String(i).padStart(3, '0')}`;
    supervisors.push({
      supervisor_id: id,
      name: `${rng.pick(WORDS)} ${rng.int(0, 9)}`,
      hostname: `${rng.pick(WORDS)}.host-${i}`,
      domain_id: i % 7 === 6 ? 'domain-b' : 'domain-a',
      state: rng.pick(SUPERVISOR_STATES),
      is_public: rng.chance(0.3) ? 1 : 0,
      priority: rng.int(0, 12),
      labels: JSON.stringify(jsonObject(rng, ['region', 'tier'])),
      tags: JSON.stringify({ ...jsonObject(rng, ['env', 'n', 'flag']), ...items(rng) }),
      secret_hash: '',
      registered: 1,
      created_at: time(),
      updated_at: time(),
      last_seen_at: time(),
    });
  }
  const plugins: Insertable<InstalledPluginsTable>[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pluginCount; i++) {
    const sv = rng.pick(supervisors);
    const pluginId = `plugin-${rng.pick(['aws', 'gcp', 'Azure', 'über', 'k8s'])}`;
    const version = `1.${rng.int(0, 3)}`;
    const pk = `${sv.supervisor_id}/${pluginId}/${version}`;
    if (seen.has(pk)) continue;
    seen.add(pk);
    const endpoints = rng.some(
      ['grpc://10.0.0.1:50051', 'grpc://10.0.0.2:50051', 'grpc://Host-Ü:1'],
      3,
    );
    plugins.push({
      supervisor_id: sv.supervisor_id,
      plugin_id: pluginId,
      version,
      state: rng.pick(PLUGIN_STATES),
      endpoint: endpoints[0] ?? '',
      endpoints: JSON.stringify([...new Set(endpoints)].sort()),
      managed: rng.chance(0.5) ? 1 : 0,
      domain_id: sv.domain_id,
      error_message: '',
      rr_counter: 0,
      created_at: time(),
      updated_at: time(),
      endpoint_called_at: rng.chance(0.3) ? null : time(),
    });
  }
  return { supervisors, plugins, times };
}

function jsonObject(rng: Rng, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const r = rng.next();
    if (r < 0.2) continue;
    if (r < 0.3) out[key] = null;
    else if (key === 'flag') out[key] = rng.chance(0.5);
    else if (r < 0.5) out[key] = rng.int(-3, 9);
    else out[key] = rng.pick(WORDS);
  }
  if (rng.chance(0.3)) out['deep'] = { x: rng.pick(['a', 'b', 'Ü']) };
  return out;
}

function items(rng: Rng): Record<string, unknown> {
  if (rng.chance(0.4)) return {};
  return {
    items: Array.from({ length: rng.int(0, 3) }, () =>
      rng.chance(0.1) ? 'loose' : { name: rng.pick(['a', 'b', 'Ü']), size: rng.int(1, 3) },
    ),
  };
}

type Doc = Record<string, unknown>;

/** The supervisors of domain-a as MongoDB documents (null columns left out, JSON parsed). */
export function supervisorDocs(data: Dataset): Doc[] {
  return data.supervisors
    .filter((s) => s.domain_id === 'domain-a')
    .map((s) => ({
      supervisor_id: s.supervisor_id,
      name: s.name,
      hostname: s.hostname,
      domain_id: s.domain_id,
      state: s.state,
      is_public: s.is_public === 1,
      priority: s.priority,
      labels: JSON.parse(s.labels) as unknown,
      tags: JSON.parse(s.tags) as unknown,
      created_at: s.created_at,
      updated_at: s.updated_at,
      last_seen_at: s.last_seen_at,
    }));
}

/** The installed plugins domain-a sees, joined with their supervisor, as MongoDB documents. */
export function pluginDocs(data: Dataset): Doc[] {
  const supervisors = new Map(data.supervisors.map((s) => [s.supervisor_id, s]));
  return data.plugins.flatMap((p) => {
    const s = supervisors.get(p.supervisor_id);
    if (s === undefined || s.domain_id !== 'domain-a') return [];
    const doc: Doc = {
      supervisor_id: p.supervisor_id,
      plugin_id: p.plugin_id,
      version: p.version,
      state: p.state,
      endpoint: p.endpoint,
      endpoints: JSON.parse(p.endpoints) as unknown,
      managed: p.managed === 1,
      domain_id: p.domain_id,
      created_at: p.created_at,
      updated_at: p.updated_at,
      supervisor_name: s.name,
      hostname: s.hostname,
    };
    if (p.endpoint_called_at !== null) doc['endpoint_called_at'] = p.endpoint_called_at;
    return [doc];
  });
}
