/**
 * pino `redact` paths that keep credentials out of logs: request headers, gRPC metadata and
 * request bodies that carry a token or a supervisor's secret. Pass them to every logger the
 * server creates (`pino({ redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } })`). This is
 * a safety net: code never logs such fields on purpose.
 */
export const LOG_REDACT_PATHS: string[] = [
  'token',
  'secret_key',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'metadata.token',
  '*.token',
  '*.secret_key',
  '*.authorization',
  '*.privateKey',
  '*.private_key',
];
