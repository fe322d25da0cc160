import type { Logger } from 'pino';
import { AuthenticateFailureError } from '../domain/errors.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { Caller } from '../service/caller.js';
import type { KeyRing } from './keys.js';
import { VerifiedTokenCache } from './token-cache.js';

/** What a transport extracted from one request. */
export interface Credentials {
  /** The bearer token (gRPC metadata `token`, REST `Authorization: Bearer …`), if any. */
  token: string | undefined;
  /** gRPC metadata `x_domain_id` / REST header `x-domain-id`: the target domain of a SYSTEM caller. */
  xDomainId?: string | undefined;
  requestId: string;
}

/** Turns credentials into a Caller; the one place the transports ask "who is this?". */
export interface Authenticator {
  /** True when the server was started with authentication switched off. */
  readonly isDisabled: boolean;

  /**
   * The caller the credentials prove. A SYSTEM token may target a domain with `xDomainId`
   * (which otherwise defaults to the token's own `domain_id`, if any); for the other roles
   * `xDomainId` is ignored and the token's domain is the caller's domain.
   *
   * @throws AuthenticateFailureError when there is no token or it is not valid.
   */
  authenticate(credentials: Credentials): Promise<Caller>;
}

export type AuthenticatorOptions =
  | {
      keys: KeyRing;
      clock?: Clock;
      disabled?: false;
      /** Most verified tokens remembered (see `VerifiedTokenCache`); 0 verifies every time. */
      tokenCacheSize?: number;
    }
  | { disabled: true; logger: Logger };

/**
 * Builds the server's authenticator. With `disabled: true` every request runs as the SYSTEM role
 * without any token; that is for a developer's machine only, and it is logged at warn here so
 * that it never goes unnoticed.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  if (options.disabled === true) {
    options.logger.warn(
      { auth: 'off' },
      'Authentication is DISABLED: every request runs as the system role, tokens are ignored',
    );
    return { isDisabled: true, authenticate: (c) => Promise.resolve(disabledCaller(c)) };
  }

  const { keys } = options;
  const clock = options.clock ?? systemClock;
  const cache = new VerifiedTokenCache(options.tokenCacheSize);
  return {
    isDisabled: false,
    authenticate: (credentials) => authenticateWithToken(keys, clock, cache, credentials),
  };
}

/**
 * The token in an HTTP `Authorization` header (`Bearer <token>`, scheme case-insensitive), or
 * undefined when the header is absent.
 *
 * @throws AuthenticateFailureError when the header is present but is not a bearer token.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (match === null)
    throw new AuthenticateFailureError('Authorization header is not a Bearer token');
  return match[1];
}

/**
 * The token in a gRPC metadata `token` value: the token itself, or `Bearer <token>` as some
 * clients send it. Undefined when absent or empty.
 */
export function tokenFromMetadata(value: string | Buffer | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = (typeof value === 'string' ? value : value.toString('utf8')).trim();
  if (text === '') return undefined;
  return /^Bearer\s/i.test(text) ? text.slice(7).trim() : text;
}

async function authenticateWithToken(
  keys: KeyRing,
  clock: Clock,
  cache: VerifiedTokenCache,
  credentials: Credentials,
): Promise<Caller> {
  if (credentials.token === undefined || credentials.token === '') {
    throw new AuthenticateFailureError('no token');
  }

  const claims = await cache.verify(keys, credentials.token, clock);
  if (claims.role === 'SYSTEM') {
    return {
      role: 'SYSTEM',
      domainId: nonEmpty(credentials.xDomainId) ? credentials.xDomainId : claims.domainId,
      requestId: credentials.requestId,
    };
  }

  return {
    role: claims.role,
    domainId: claims.domainId,
    ...(claims.supervisorName !== undefined && { supervisorName: claims.supervisorName }),
    requestId: credentials.requestId,
  };
}

function disabledCaller(credentials: Credentials): Caller {
  return {
    role: 'SYSTEM',
    domainId: nonEmpty(credentials.xDomainId) ? credentials.xDomainId : undefined,
    requestId: credentials.requestId,
  };
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
