import { status, type ServiceError } from '@grpc/grpc-js';

/**
 * A failure answered by the control plane, as the client sees it: the SpaceONE error code and
 * message parsed from the status details (`ERROR_CODE: message`), and the gRPC status.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly grpcStatus: status,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  /** Builds the error from a grpc-js ServiceError. */
  static fromServiceError(err: ServiceError): ApiError {
    const match = /^(ERROR_[A-Z_]+): (.*)$/s.exec(err.details);
    const code = match?.[1] ?? `GRPC_${status[err.code] ?? err.code}`;
    return new ApiError(code, match?.[2] ?? err.details, err.code, { cause: err });
  }
}
