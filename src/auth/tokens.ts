import { randomUUID } from 'node:crypto';
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import { AuthenticateFailureError, InvalidParameterError } from '../domain/errors.js';
import { parseDurationSeconds } from '../domain/duration.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { Role } from '../service/caller.js';
import { SIGNING_ALGORITHMS, type KeyRing, type SigningAlgorithm } from './keys.js';

/** The roles a token may carry. */
export const ROLES: readonly Role[] = ['SYSTEM', 'DOMAIN_ADMIN', 'SUPERVISOR'];

/** Issuer and audience of every Plugvisor token; tokens minted for anything else are refused. */
export const TOKEN_ISSUER = 'plugvisor';
export const TOKEN_AUDIENCE = 'plugvisor';

/** Lifetime of a token minted without `expiresIn`. */
export const DEFAULT_TOKEN_TTL = '30d';

/** Longest lifetime a token may be minted with (ten years). */
const MAX_TTL_SECONDS = 10 * 365 * 86_400;

/** Who a token speaks for. DOMAIN_ADMIN and SUPERVISOR need `domainId`; SUPERVISOR also `supervisorName`. */
export interface TokenClaims {
  role: Role;
  domainId?: string;
  supervisorName?: string;
}

/** Seconds of clock skew tolerated when checking a token's `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** What a valid token proves, plus what its validity depends on. */
export interface VerifiedToken extends TokenClaims {
  expiresAt: Date;
  /** The token's `nbf`, when it has one. */
  notBefore?: Date;
  tokenId: string;
  /** The kid of the key that verified the signature. */
  keyId: string;
}

export interface MintOptions {
  /** Lifetime: `90s`, `15m`, `12h`, `30d`, `2w` or seconds (default 30d, at most ten years). */
  expiresIn?: string | number;
  clock?: Clock;
}

/**
 * Signs a token for `claims` with the ring's current key. Claims: `role`, `domain_id`,
 * `supervisor_name`, plus `iss`/`aud` = `plugvisor`, `iat`, `exp` and a random `jti`; the header
 * carries `alg` and `kid`.
 *
 * @throws InvalidParameterError naming the claim that is missing or not allowed for the role, or
 *   the lifetime that cannot be parsed.
 */
export async function mintToken(
  keys: KeyRing,
  claims: TokenClaims,
  options: MintOptions = {},
): Promise<string> {
  const checked = checkClaims(claims, (field, reason) => new InvalidParameterError(field, reason));
  const ttl = ttlSeconds(options.expiresIn ?? DEFAULT_TOKEN_TTL);
  const now = Math.floor((options.clock ?? systemClock).now().getTime() / 1000);
  const { kid, alg, privateKey } = keys.signing;

  return new SignJWT(toPayload(checked))
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(privateKey);
}

/**
 * Checks a token's signature, algorithm, key, issuer, audience, expiry and claims.
 *
 * Refused: `alg: none` and any algorithm but EdDSA/ES256, a `kid` the ring does not hold, an
 * algorithm that does not match its key, a bad signature, an expired token, a missing `exp`, and
 * claims that do not fit the role.
 *
 * @throws AuthenticateFailureError with a short reason; the reason never contains the token.
 */
export async function verifyToken(
  keys: KeyRing,
  token: string,
  options: { clock?: Clock } = {},
): Promise<VerifiedToken> {
  const key = keyFor(keys, token);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: (options.clock ?? systemClock).now(),
      requiredClaims: ['exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (err) {
    throw new AuthenticateFailureError(reasonFor(err));
  }

  const claims = checkClaims(fromPayload(payload), (field) =>
    fail(`token claim ${field} is missing or invalid`),
  );
  return {
    ...claims,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    ...(payload.nbf !== undefined && { notBefore: new Date(payload.nbf * 1000) }),
    tokenId: typeof payload.jti === 'string' ? payload.jti : '',
    keyId: key.kid,
  };
}

function keyFor(keys: KeyRing, token: string) {
  if (token === '') throw fail('empty token');

  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw fail('malformed token');
  }

  if (!SIGNING_ALGORITHMS.includes(header.alg as SigningAlgorithm)) {
    throw fail('token algorithm not allowed');
  }
  const key = typeof header.kid === 'string' ? keys.find(header.kid) : undefined;
  if (key === undefined) throw fail('token signed by an unknown key');
  if (key.alg !== header.alg) throw fail('token algorithm does not match its key');
  return key;
}

function reasonFor(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return `token claim ${err.claim} is missing or invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  return 'malformed token';
}

function checkClaims(
  claims: TokenClaims,
  error: (field: string, reason: string) => Error,
): TokenClaims {
  if (!ROLES.includes(claims.role)) throw error('role', `must be one of ${ROLES.join(', ')}`);
  const needsDomain = claims.role !== 'SYSTEM';
  const needsName = claims.role === 'SUPERVISOR';

  if (needsDomain && !nonEmpty(claims.domainId))
    throw error('domain_id', `required for role ${claims.role}`);
  if (claims.domainId !== undefined && !nonEmpty(claims.domainId))
    throw error('domain_id', 'must not be empty');
  if (needsName && !nonEmpty(claims.supervisorName)) {
    throw error('supervisor_name', 'required for role SUPERVISOR');
  }
  if (!needsName && claims.supervisorName !== undefined) {
    throw error('supervisor_name', `only allowed for role SUPERVISOR, not ${claims.role}`);
  }

  return {
    role: claims.role,
    ...(claims.domainId !== undefined && { domainId: claims.domainId }),
    ...(claims.supervisorName !== undefined && { supervisorName: claims.supervisorName }),
  };
}

function toPayload(claims: TokenClaims): JWTPayload {
  return {
    role: claims.role,
    ...(claims.domainId !== undefined && { domain_id: claims.domainId }),
    ...(claims.supervisorName !== undefined && { supervisor_name: claims.supervisorName }),
  };
}

function fromPayload(payload: JWTPayload): TokenClaims {
  return {
    role: payload.role as Role,
    ...(payload.domain_id !== undefined && { domainId: payload.domain_id as string }),
    ...(payload.supervisor_name !== undefined && {
      supervisorName: payload.supervisor_name as string,
    }),
  };
}

function ttlSeconds(expiresIn: string | number): number {
  const seconds =
    typeof expiresIn === 'number' ? expiresIn : parseDurationSeconds(expiresIn, 'expires_in');
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw new InvalidParameterError('expires_in', 'must be a positive duration of at most 3650d');
  }
  return seconds;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function fail(reason: string): AuthenticateFailureError {
  return new AuthenticateFailureError(reason);
}
