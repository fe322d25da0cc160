/**
 * What a supervisor agent runs plugins on: child processes, Docker containers, Kubernetes
 * Deployments. The agent's reconcile pass reads `list()`, plans, and calls `create` / `delete`;
 * the backend never decides what should run, only makes it so and reports what it sees.
 *
 * Contract for implementations:
 * - `list()` returns only instances that carry the agent's labels (its supervisor name), each
 *   once, including ones it adopted after an agent restart.
 * - `create` and `delete` are idempotent and say what they did; calling `create` for an
 *   instance that exists, or `delete` for one that does not, returns `'unchanged'`.
 * - Readiness and crashes happen in the background; the backend calls the `onChange` listeners
 *   so that the agent looks again (the notification carries no data: a pass reads `list()`).
 */
export interface Backend {
  /** A short name for logs and the supervisor's labels (`process`, `docker`, `kubernetes`). */
  readonly name: string;

  /** Rediscovers instances left by an earlier run of the agent. Called once, before `list()`. */
  start(): Promise<void>;

  /** Every instance of this agent, as it is now. */
  list(): Promise<ObservedInstance[]>;

  /** Starts the instance unless it exists. `revision` is stored with it (see ObservedInstance). */
  create(spec: InstanceSpec): Promise<CreateResult>;

  /** Stops and removes the instance if it exists (gracefully, then forcefully). */
  delete(key: InstanceKey): Promise<DeleteResult>;

  /** Calls `listener` whenever an instance's state or endpoint changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void;

  /**
   * Releases the backend. With `stopInstances` every instance is deleted (what `plugvisor up`
   * does on Ctrl-C); without it they keep running, to be adopted by the next start.
   */
  close(options: { stopInstances: boolean }): Promise<void>;
}

/** Identifies one instance within one agent: a plugin at a version. */
export interface InstanceKey {
  plugin_id: string;
  version: string;
}

/** What the agent asks a backend to run. */
export interface InstanceSpec extends InstanceKey {
  /**
   * The desired state's `updated_at` this instance was created for. The plan compares it with
   * the desired state to recreate an instance once per recover request, never twice.
   */
  revision: string;
}

/** Observed state of an instance, in the API's words. */
export type ObservedState = 'PROVISIONING' | 'ACTIVE' | 'ERROR';

/** One instance as the backend sees it. */
export interface ObservedInstance extends InstanceKey {
  state: ObservedState;
  /** `grpc://host:port` of a ready instance; empty while it is not ACTIVE. */
  endpoint: string;
  /** Every ready endpoint (one per replica); empty while it is not ACTIVE. */
  endpoints: string[];
  /** See InstanceSpec.revision. */
  revision: string;
  /** When the current process, container or pod was started. */
  startedAt: Date;
  /** Why it is in ERROR (the last exit reason); empty otherwise. */
  errorMessage: string;
}

/** What `create` did. */
export type CreateResult = 'created' | 'unchanged';

/** What `delete` did. */
export type DeleteResult = 'deleted' | 'unchanged';

/** The key of an instance as one string, for maps and logs (`plugin-echo@1.0.0`). */
export function instanceKeyString(key: InstanceKey): string {
  return `${key.plugin_id}@${key.version}`;
}
