import type { Clock } from '../domain/time.js';
import type { KeyRing, VerificationKey } from './keys.js';
import { CLOCK_TOLERANCE_SECONDS, verifyToken, type VerifiedToken } from './tokens.js';

/** Most verified tokens remembered by default (the oldest entry goes first). */
export const DEFAULT_TOKEN_CACHE_SIZE = 1000;

interface Entry {
  verified: VerifiedToken;
  /** The exact key object that verified it; a key-ring reload replaces every key object. */
  key: VerificationKey;
}

/**
 * Remembers tokens whose signature and claims were verified, keyed by the token text, so that a
 * client repeating its token (every call of an agent or a service) skips the signature check.
 *
 * A remembered token is used again only while its `exp` (and `nbf`) still hold by the clock,
 * with the same tolerance as a full check, and while the ring still holds the very key object
 * that verified it: reloading the key ring (a rotation, a removed key file) makes every entry
 * verify afresh, so a removed key stops being accepted at the reload. Failures are never
 * remembered. At most `maxEntries` tokens are kept.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_TOKEN_CACHE_SIZE) {
    this.#maxEntries = maxEntries;
  }

  /** How many tokens are remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The verified claims of `token`, from memory when still valid, else by `verifyToken`.
   *
   * @throws AuthenticateFailureError as `verifyToken` does.
   */
  async verify(keys: KeyRing, token: string, clock: Clock): Promise<VerifiedToken> {
    const entry = this.#entries.get(token);
    if (entry !== undefined) {
      if (isStillValid(entry, keys, clock)) return entry.verified;
      this.#entries.delete(token);
    }

    const verified = await verifyToken(keys, token, { clock });
    const key = keys.find(verified.keyId);
    if (key !== undefined) this.#remember(token, { verified, key });
    return verified;
  }

  #remember(token: string, entry: Entry): void {
    if (this.#maxEntries <= 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(token, entry);
  }
}

function isStillValid(entry: Entry, keys: KeyRing, clock: Clock): boolean {
  if (keys.find(entry.verified.keyId) !== entry.key) return false;

  const now = Math.floor(clock.now().getTime() / 1000);
  const exp = entry.verified.expiresAt.getTime() / 1000;
  if (exp <= now - CLOCK_TOLERANCE_SECONDS) return false;
  const nbf = entry.verified.notBefore;
  return nbf === undefined || nbf.getTime() / 1000 <= now + CLOCK_TOLERANCE_SECONDS;
}
