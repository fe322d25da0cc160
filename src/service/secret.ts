import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
const SALT_BYTES = 16;
const PREFIX = 'scrypt';

/**
 * Hashes an agent's secret key for storage: `scrypt$<salt hex>$<hash hex>` with a random salt.
 * The secret itself is never stored or logged.
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt);
  return `${PREFIX}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

/**
 * True when `secret` matches `stored` (a value from `hashSecret`). The comparison takes the same
 * time however many bytes match. A malformed stored value never matches.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [prefix, saltHex, hashHex] = stored.split('$');
  if (prefix !== PREFIX || saltHex === undefined || hashHex === undefined) return false;

  const expected = Buffer.from(hashHex, 'hex');
  const actual = await derive(secret, Buffer.from(saltHex, 'hex'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, (err, key) => (err === null ? resolve(key) : reject(err)));
  });
}

/** How many supervisors' verified secrets a `SecretVerifier` remembers. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000;

/**
 * `verifySecret` with a memory of recent successes, so that an agent's heartbeat does not pay for
 * a scrypt derivation (tens of milliseconds of CPU) on every publish. It remembers, per stored
 * hash, a keyed HMAC of the secret that last matched; the HMAC key is random per process and never
 * leaves it. A secret that does not match is always checked with scrypt and never remembered.
 */
export class SecretVerifier {
  readonly #key = randomBytes(32);
  readonly #verified = new Map<string, Buffer>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_VERIFIED_CACHE_SIZE) {
    this.#maxEntries = maxEntries;
  }

  /** True when `secret` matches `stored` (a value from `hashSecret`). */
  async verify(secret: string, stored: string): Promise<boolean> {
    const mac = createHmac('sha256', this.#key).update(secret).digest();
    const remembered = this.#verified.get(stored);
    if (remembered !== undefined && timingSafeEqual(remembered, mac)) return true;

    if (!(await verifySecret(secret, stored))) return false;
    this.remember(secret, stored);
    return true;
  }

  /** Records that `secret` matches `stored`, for a hash this process has just made from it. */
  remember(secret: string, stored: string): void {
    this.#verified.delete(stored);
    this.#verified.set(stored, createHmac('sha256', this.#key).update(secret).digest());
    if (this.#verified.size > this.#maxEntries) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
  }
}
