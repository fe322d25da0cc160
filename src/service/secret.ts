import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

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
