import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { tokenFromMetadata, type Authenticator } from '../../auth/index.js';
import type { Caller } from '../../service/index.js';

/**
 * The caller of one gRPC request, from metadata `token` and, for the system role, `x_domain_id`
 * (also accepted as `x-domain-id`). The request id is the client's `x-request-id` if it sent a
 * short one, else a new one.
 *
 * @throws AuthenticateFailureError when there is no token or it is not valid.
 */
export function callerFrom(authenticator: Authenticator, metadata: Metadata): Promise<Caller> {
  return authenticator.authenticate({
    token: tokenFromMetadata(first(metadata, 'token')),
    xDomainId: firstText(metadata, 'x_domain_id') ?? firstText(metadata, 'x-domain-id'),
    requestId: requestIdFrom(metadata),
  });
}

/** The request id of a call: the client's `x-request-id` if short and printable, else a new one. */
export function requestIdFrom(metadata: Metadata): string {
  const given = firstText(metadata, 'x-request-id');
  return given !== undefined && /^[\x21-\x7e]{1,128}$/.test(given) ? given : randomUUID();
}

function first(metadata: Metadata, key: string): string | Buffer | undefined {
  return metadata.get(key)[0];
}

function firstText(metadata: Metadata, key: string): string | undefined {
  const value = first(metadata, key);
  return typeof value === 'string' && value !== '' && value.length <= 128 ? value : undefined;
}
