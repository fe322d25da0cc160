import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  hashSecret,
  keysDirOf,
  loadOrCreateKeys,
  LOG_REDACT_PATHS,
  mintToken,
  type KeyRing,
} from '../src/auth/index.js';
import { startControlPlane, type RunningControlPlane } from '../src/server/index.js';
import type { Database } from '../src/store/schema.js';
import type { Kysely } from 'kysely';

/**
 * A real control plane for the auth end-to-end tests (gRPC and REST on loopback ports, SQLite
 * file, keys in a temp data dir) with its log lines captured, the tokens of every kind of caller,
 * and helpers that write fixture supervisors straight into its store.
 */
export interface AuthFixture {
  plane: RunningControlPlane;
  db: Kysely<Database>;
  keys: KeyRing;
  tokens: Record<Principal, string | undefined>;
  /** Every log line the server wrote, as text. */
  logs: string[];
  secret: string;
  secretHash: string;
  dataDir: string;
  close(): Promise<void>;
}

export const PRINCIPALS = [
  'system',
  'adminA',
  'adminB',
  'agentS',
  'agentT',
  'noToken',
  'expired',
  'otherKey',
  'algNone',
] as const;
export type Principal = (typeof PRINCIPALS)[number];

export const DOMAIN_A = 'domain-a';
export const DOMAIN_B = 'domain-b';

export async function startAuthFixture(): Promise<AuthFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pv-auth-e2e-'));
  const logs: string[] = [];
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = pino(
    { level: 'debug', redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } },
    sink,
  );
  const plane = await startControlPlane(
    {
      grpcPort: 0,
      httpPort: 0,
      host: '127.0.0.1',
      database: `sqlite:${join(dataDir, 'plugvisor.db')}`,
      dataDir,
      livenessIntervalMs: 3_600_000,
    },
    { logger },
  );
  const keys = plane.auth.keys;
  if (keys === undefined) throw new Error('auth is unexpectedly off');
  const otherKeys = await loadOrCreateKeys(join(dataDir, 'elsewhere'));
  const secret = 'agent-s-secret-7f3a91c2';

  return {
    plane,
    db: plane.services.store.db,
    keys,
    tokens: await mintAll(keys, otherKeys),
    logs,
    secret,
    secretHash: await hashSecret(secret),
    dataDir,
    close: async () => {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function mintAll(
  keys: KeyRing,
  otherKeys: KeyRing,
): Promise<Record<Principal, string | undefined>> {
  const pastClock = { now: () => new Date(Date.now() - 3_600_000) };
  return {
    system: await mintToken(keys, { role: 'SYSTEM' }),
    adminA: await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId: DOMAIN_A }),
    adminB: await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId: DOMAIN_B }),
    agentS: await mintToken(keys, { role: 'SUPERVISOR', domainId: DOMAIN_A, supervisorName: 'S' }),
    agentT: await mintToken(keys, { role: 'SUPERVISOR', domainId: DOMAIN_A, supervisorName: 'T' }),
    noToken: undefined,
    expired: await mintToken(
      keys,
      { role: 'DOMAIN_ADMIN', domainId: DOMAIN_A },
      { expiresIn: '10m', clock: pastClock },
    ),
    otherKey: await mintToken(otherKeys, { role: 'SYSTEM' }),
    algNone: unsignedToken(keys.signing.kid),
  };
}

/** A token with `alg: none`, crafted by hand, claiming the system role and the server's kid. */
function unsignedToken(kid: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = { role: 'SYSTEM', iss: 'plugvisor', aud: 'plugvisor', iat: now, exp: now + 600 };
  return `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(payload)}.`;
}

let counter = 0;

/** Inserts a supervisor (and optionally one ACTIVE installed plugin on it); returns its row. */
export async function insertSupervisor(
  f: AuthFixture,
  options: {
    domainId: string;
    name: string;
    state: 'PENDING' | 'ENABLED' | 'DISABLED' | 'DISCONNECTED';
    withPlugin?: boolean;
    isPublic?: boolean;
  },
): Promise<{ supervisor_id: string; hostname: string }> {
  counter++;
  const supervisorId = `supervisor-${counter.toString(16).padStart(12, '0')}`;
  const hostname = `host-${counter}.${options.domainId}.example`;
  const now = new Date().toISOString();
  await f.db
    .insertInto('supervisors')
    .values({
      supervisor_id: supervisorId,
      name: options.name,
      hostname,
      domain_id: options.domainId,
      state: options.state,
      is_public: options.isPublic === true ? 1 : 0,
      priority: 10,
      labels: '{"zone":"z1"}',
      tags: '{}',
      secret_hash: f.secretHash,
      registered: options.state === 'PENDING' ? 0 : 1,
      created_at: now,
      updated_at: now,
      last_seen_at: now,
    })
    .execute();
  if (options.withPlugin === true) {
    await f.db
      .insertInto('installed_plugins')
      .values({
        supervisor_id: supervisorId,
        plugin_id: 'plugin-echo',
        version: '1.0.0',
        state: 'ACTIVE',
        endpoint: 'grpc://127.0.0.1:1',
        endpoints: '["grpc://127.0.0.1:1"]',
        managed: 1,
        domain_id: options.domainId,
        error_message: '',
        rr_counter: 0,
        created_at: now,
        updated_at: now,
        endpoint_called_at: null,
      })
      .execute();
  }
  return { supervisor_id: supervisorId, hostname };
}

/** The stored rows of a supervisor and its installed plugins, for "nothing changed" checks. */
export async function snapshot(f: AuthFixture, supervisorId: string): Promise<string> {
  const supervisor = await f.db
    .selectFrom('supervisors')
    .selectAll()
    .where('supervisor_id', '=', supervisorId)
    .executeTakeFirst();
  const plugins = await f.db
    .selectFrom('installed_plugins')
    .selectAll()
    .where('supervisor_id', '=', supervisorId)
    .execute();
  return JSON.stringify({ supervisor, plugins });
}

/** Every piece of key material in the data dir (PEM bodies and the raw private key bytes). */
export async function keyMaterial(f: AuthFixture): Promise<string[]> {
  const dir = keysDirOf(f.dataDir);
  const out: string[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.pem'))) {
    const pem = await readFile(join(dir, name), 'utf8');
    out.push(...pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')));
  }
  const jwk = f.keys.signing.privateKey.export({ format: 'jwk' });
  if (typeof jwk.d === 'string') out.push(jwk.d);
  return out;
}
