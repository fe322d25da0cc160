import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { Caller } from '../../service/index.js';

/**
 * The caller of one gRPC request. Until authentication lands (issue #6) every request acts as the
 * system role on the domain its body names; #6 replaces only this function.
 */
export function callerFrom(metadata: Metadata): Caller {
  const requestId = firstText(metadata, 'x-request-id') ?? randomUUID();
  return { role: 'SYSTEM', domainId: undefined, requestId };
}

function firstText(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' && value !== '' && value.length <= 128 ? value : undefined;
}
