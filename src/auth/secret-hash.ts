import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { InvalidParameterError } from '../domain/errors.js';

/**
 * Hashes of supervisors' secret keys. Format (versioned, self-describing so that parameters can
 * be raised later without breaking stored hashes):
 *
 *     scrypt$v1$ln=15,r=8,p=1$<salt base64url>$<hash base64url>
 *
 * scrypt with N = 2^15, r = 8, p = 1 needs 32 MiB per derivation and takes ~0.1 s here. Since
 * every heartbeat presents the secret again, a successful check is remembered (per process) as
 * an HMAC under a random per-process key, so a steady agent costs one scrypt per server start,
 * not one per publish. A wrong secret always pays the full scrypt.
 */

/** Parameters new hashes are made with. */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1 } as const;

const KEY_LENGTH = 32;
const SALT_BYTES = 16;
const MAX_SECRET_LENGTH = 1024;
const VERIFIED_CACHE_SIZE = 10_000;
/** Hashes written before the versioned format: `scrypt$<salt hex>$<hash hex>`, node's defaults. */
const LEGACY_PARAMS = { ln: 14, r: 8, p: 1 } as const;

/**
 * Hashes `secret` for storage with a random salt.
 *
 * @throws InvalidParameterError('secret_key') when it is longer than 1024 characters.
 */
export async function hashSecret(secret: string): Promise<string> {
  checkLength(secret);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, SCRYPT_PARAMS);
  const { ln, r, p } = SCRYPT_PARAMS;
  return `scrypt$v1$ln=${ln},r=${r},p=${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * True when `secret` matches `stored` (from `hashSecret`). The comparison is constant-time; a
 * malformed or unknown-format stored value never matches.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (secret.length > MAX_SECRET_LENGTH) return false;
  const parsed = parseStored(stored);
  if (parsed === undefined) return false;

  const remembered = verified.get(stored);
  const tag = tagOf(stored, secret);
  if (remembered !== undefined && timingSafeEqual(remembered, tag)) return true;

  const actual = await derive(secret, parsed.salt, parsed.params);
  const matches = actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
  if (matches) remember(stored, tag);
  return matches;
}

/** True when `stored` was made with weaker parameters than today's (worth re-hashing). */
export function needsRehash(stored: string): boolean {
  const parsed = parseStored(stored);
  return parsed === undefined || parsed.params.ln < SCRYPT_PARAMS.ln;
}

interface Params {
  ln: number;
  r: number;
  p: number;
}

function parseStored(stored: string): { params: Params; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt') return undefined;
  if (parts.length === 3) {
    const [, saltHex = '', hashHex = ''] = parts;
    if (!/^[0-9a-f]+$/.test(saltHex) || !/^[0-9a-f]+$/.test(hashHex)) return undefined;
    return {
      params: LEGACY_PARAMS,
      salt: Buffer.from(saltHex, 'hex'),
      hash: Buffer.from(hashHex, 'hex'),
    };
  }
  if (parts.length !== 5 || parts[1] !== 'v1') return undefined;
  const match = /^ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})$/.exec(parts[2] ?? '');
  if (match === null) return undefined;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  // Bounds keep a tampered row from making one check cost gigabytes or minutes.
  if (
    params.ln < 10 ||
    params.ln > 20 ||
    params.r < 1 ||
    params.r > 16 ||
    params.p < 1 ||
    params.p > 4
  ) {
    return undefined;
  }
  const salt = Buffer.from(parts[3] ?? '', 'base64url');
  const hash = Buffer.from(parts[4] ?? '', 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params, salt, hash };
}

function derive(secret: string, salt: Buffer, params: Params): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.r * 2 ** params.ln + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, options, (err, key) =>
      err === null ? resolve(key) : reject(err),
    );
  });
}

function checkLength(secret: string): void {
  if (secret.length > MAX_SECRET_LENGTH) {
    throw new InvalidParameterError('secret_key', `longer than ${MAX_SECRET_LENGTH} characters`);
  }
}

const processKey = randomBytes(32);
const verified = new Map<string, Buffer>();

function tagOf(stored: string, secret: string): Buffer {
  return createHmac('sha256', processKey).update(stored).update('\0').update(secret).digest();
}

function remember(stored: string, tag: Buffer): void {
  if (verified.size >= VERIFIED_CACHE_SIZE) {
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
  verified.set(stored, tag);
}
