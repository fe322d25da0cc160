import { status } from '@grpc/grpc-js';
import type { ErrorKind, PlugvisorError } from '../domain/index.js';

/** The gRPC status and HTTP status of each error kind (SPEC §5). The one place they are chosen. */
export const STATUS_BY_KIND: Readonly<Record<ErrorKind, { grpc: status; http: number }>> = {
  INVALID_ARGUMENT: { grpc: status.INVALID_ARGUMENT, http: 400 },
  FAILED_PRECONDITION: { grpc: status.FAILED_PRECONDITION, http: 400 },
  NOT_FOUND: { grpc: status.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: status.ALREADY_EXISTS, http: 409 },
  UNAUTHENTICATED: { grpc: status.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: status.PERMISSION_DENIED, http: 403 },
  DEADLINE_EXCEEDED: { grpc: status.DEADLINE_EXCEEDED, http: 504 },
  UNAVAILABLE: { grpc: status.UNAVAILABLE, http: 503 },
  INTERNAL: { grpc: status.INTERNAL, http: 500 },
};

/** The wire form of an error: its code and message, as both transports report them. */
export interface WireError {
  code: string;
  message: string;
  grpc: status;
  http: number;
}

/** The wire form of a catalogue error. */
export function toWireError(err: PlugvisorError): WireError {
  const { grpc, http } = STATUS_BY_KIND[err.kind];
  return { code: err.code, message: err.message, grpc, http };
}

/** gRPC details text: `ERROR_CODE: message`. */
export function grpcDetails(err: { code: string; message: string }): string {
  return `${err.code}: ${err.message}`;
}
