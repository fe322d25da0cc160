/**
 * The error catalogue. Every failure the control plane reports is one of these classes, each with
 * a stable SpaceONE-style `code` and a `kind` that the transports (and only they) map to a gRPC
 * status and an HTTP status. Messages name the culprit (the parameter, the supervisor, the state)
 * and never carry secrets.
 */

/** What sort of failure an error is; the transports map each kind to one gRPC and HTTP status. */
export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** Base class of every error in the catalogue. */
export abstract class PlugvisorError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A required request parameter is missing or empty. */
export class RequiredParameterError extends PlugvisorError {
  readonly code = 'ERROR_REQUIRED_PARAMETER';
  readonly kind = 'INVALID_ARGUMENT';

  constructor(readonly key: string) {
    super(`required parameter is missing (key = ${key})`);
  }
}

/** A request parameter has the wrong type or an unacceptable value. */
export class InvalidParameterError extends PlugvisorError {
  readonly code = 'ERROR_INVALID_PARAMETER';
  readonly kind = 'INVALID_ARGUMENT';

  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid parameter (key = ${key}, reason = ${reason})`);
  }
}

/** The query (filter, sort, page, aggregate…) cannot be run as written. */
export class InvalidQueryError extends PlugvisorError {
  readonly code = 'ERROR_INVALID_QUERY';
  readonly kind = 'INVALID_ARGUMENT';

  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid query (key = ${key}, reason = ${reason})`);
  }
}

/** The resource does not exist, or exists in a domain the caller may not see. */
export class NotFoundError extends PlugvisorError {
  readonly code = 'ERROR_NOT_FOUND';
  readonly kind = 'NOT_FOUND';

  constructor(
    readonly key: string,
    readonly value: string,
  ) {
    super(`resource not found (${key} = ${value})`);
  }
}

/** A resource with the same identity exists already. */
export class AlreadyExistsError extends PlugvisorError {
  readonly code = 'ERROR_ALREADY_EXIST';
  readonly kind = 'ALREADY_EXISTS';

  constructor(
    readonly key: string,
    readonly value: string,
  ) {
    super(`resource already exists (${key} = ${value})`);
  }
}

/** A supervisor is in a state from which the requested action is not allowed. */
export class SupervisorStateError extends PlugvisorError {
  readonly code = 'ERROR_SUPERVISOR_STATE';
  readonly kind = 'FAILED_PRECONDITION';

  constructor(
    readonly action: string,
    readonly supervisorId: string,
    readonly state: string,
  ) {
    super(`cannot ${action} supervisor ${supervisorId} in state ${state}`);
  }
}

/** `update` was asked to change a field it may not change. */
export class SupervisorUpdateError extends PlugvisorError {
  readonly code = 'ERROR_SUPERVISOR_UPDATE';
  readonly kind = 'INVALID_ARGUMENT';

  constructor(readonly field: string) {
    super(`field ${field} cannot be updated (updatable: name, is_public, priority, labels, tags)`);
  }
}

/** A supervisor cannot be deregistered while installed plugins still reference it. */
export class InstalledPluginExistError extends PlugvisorError {
  readonly code = 'ERROR_INSTALLED_PLUGIN_EXIST';
  readonly kind = 'FAILED_PRECONDITION';

  constructor(
    readonly supervisorId: string,
    readonly installed: readonly string[],
  ) {
    super(
      `supervisor ${supervisorId} still has installed plugins (${installed.join(', ')}); ` +
        'disable it and wait until they are removed, or remove them first',
    );
  }
}

/** An installed plugin is in a state from which the requested action is not allowed. */
export class PluginStateError extends PlugvisorError {
  readonly code = 'ERROR_PLUGIN_STATE';
  readonly kind = 'FAILED_PRECONDITION';

  constructor(
    readonly action: string,
    readonly pluginId: string,
    readonly version: string,
    readonly state: string,
  ) {
    super(`cannot ${action} plugin ${pluginId}@${version} in state ${state}`);
  }
}

/** No supervisor can run the requested plugin now. */
export class NoPossibleSupervisorError extends PlugvisorError {
  readonly code = 'ERROR_NO_POSSIBLE_SUPERVISOR';
  readonly kind = 'UNAVAILABLE';

  constructor(readonly labels: Readonly<Record<string, unknown>>) {
    super(`no enabled supervisor can run this plugin (labels = ${JSON.stringify(labels)})`);
  }
}

/** The catalog has no plugin with that id. */
export class PluginNotFoundError extends PlugvisorError {
  readonly code = 'ERROR_PLUGIN_NOT_FOUND';
  readonly kind = 'NOT_FOUND';

  constructor(readonly pluginId: string) {
    super(`plugin not found in the catalog (plugin_id = ${pluginId})`);
  }
}

/** The catalog has the plugin but not that version. */
export class InvalidPluginVersionError extends PlugvisorError {
  readonly code = 'ERROR_INVALID_PLUGIN_VERSION';
  readonly kind = 'INVALID_ARGUMENT';

  constructor(
    readonly pluginId: string,
    readonly version: string,
  ) {
    super(`plugin ${pluginId} has no version ${version}`);
  }
}

/** A plugin did not become ACTIVE within the install timeout. */
export class InstallPluginTimeoutError extends PlugvisorError {
  readonly code = 'ERROR_INSTALL_PLUGIN_TIMEOUT';
  readonly kind = 'DEADLINE_EXCEEDED';

  constructor(
    readonly pluginId: string,
    readonly version: string,
    readonly seconds: number,
  ) {
    super(`plugin ${pluginId}@${version} did not become ACTIVE within ${seconds}s`);
  }
}

/** No token, or a token that is malformed, expired or not signed by a key the server trusts. */
export class AuthenticateFailureError extends PlugvisorError {
  readonly code = 'ERROR_AUTHENTICATE_FAILURE';
  readonly kind = 'UNAUTHENTICATED';

  constructor(readonly reason: string) {
    super(`authentication failed (${reason})`);
  }
}

/** The caller is known but not allowed to do this. */
export class PermissionDeniedError extends PlugvisorError {
  readonly code = 'ERROR_PERMISSION_DENIED';
  readonly kind = 'PERMISSION_DENIED';

  constructor(readonly reason: string) {
    super(`permission denied (${reason})`);
  }
}

/** Something unexpected; the transports log the cause with a request id and report this. */
export class InternalError extends PlugvisorError {
  readonly code = 'ERROR_INTERNAL_API';
  readonly kind = 'INTERNAL';

  constructor(
    readonly requestId: string,
    options?: { cause?: unknown },
  ) {
    super(`internal error (request_id = ${requestId})`, options);
  }
}

/** Every error code in the catalogue, for the test that checks docs and mappings agree. */
export const ERROR_CODES = [
  'ERROR_REQUIRED_PARAMETER',
  'ERROR_INVALID_PARAMETER',
  'ERROR_INVALID_QUERY',
  'ERROR_NOT_FOUND',
  'ERROR_ALREADY_EXIST',
  'ERROR_SUPERVISOR_STATE',
  'ERROR_SUPERVISOR_UPDATE',
  'ERROR_INSTALLED_PLUGIN_EXIST',
  'ERROR_PLUGIN_STATE',
  'ERROR_NO_POSSIBLE_SUPERVISOR',
  'ERROR_PLUGIN_NOT_FOUND',
  'ERROR_INVALID_PLUGIN_VERSION',
  'ERROR_INSTALL_PLUGIN_TIMEOUT',
  'ERROR_AUTHENTICATE_FAILURE',
  'ERROR_PERMISSION_DENIED',
  'ERROR_INTERNAL_API',
] as const;
