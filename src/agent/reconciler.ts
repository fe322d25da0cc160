import type { Logger } from 'pino';

import type { Backend, ObservedInstance } from './backends/backend.js';
import type { ControlPlane, PublishedSupervisor, ReportedPlugin } from './control-plane.js';
import { plan, reportedRevision, type Action, type DesiredRead } from './plan.js';
import type { PassResult } from './queue.js';

/** The queue key of a full pass: read desired and observed, act, publish. */
export const RECONCILE_KEY = 'reconcile';
/** The queue key of a heartbeat: publish what is observed, change nothing. */
export const HEARTBEAT_KEY = 'heartbeat';

/** Reachability of the control plane, as the agent last saw it. */
export type ConnectionState = 'UNKNOWN' | 'CONNECTED' | 'UNREACHABLE';

/** What the reconciler needs. */
export interface ReconcilerOptions {
  controlPlane: ControlPlane;
  backend: Backend;
  logger: Logger;
  /** Called after each publish the control plane accepted. */
  onPublished?: (supervisor: PublishedSupervisor) => void;
}

/**
 * One reconcile pass of a supervisor agent, in five steps: desired (list_plugins), observed (the
 * backend), plan, act, report (publish). Level-based: every pass reads both sides afresh, so a
 * lost or repeated notification costs latency, never correctness.
 *
 * A failed desired read ends the pass with an error (the queue retries with backoff) and changes
 * nothing: running plugins stay up while the control plane is away.
 */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  #supervisor: PublishedSupervisor | undefined;
  #connection: ConnectionState = 'UNKNOWN';

  constructor(options: ReconcilerOptions) {
    this.#options = options;
  }

  /** The supervisor as the last accepted publish returned it. */
  get supervisor(): PublishedSupervisor | undefined {
    return this.#supervisor;
  }

  /** Runs the pass for `key` (RECONCILE_KEY or HEARTBEAT_KEY); the WorkQueue's handler. */
  async run(key: string, signal: AbortSignal, log: Logger): Promise<PassResult> {
    if (key === HEARTBEAT_KEY) {
      await this.#report(log);
      return {};
    }
    return this.reconcile(signal, log);
  }

  /** One full pass. Throws when the control plane cannot be read or written. */
  async reconcile(signal: AbortSignal, log: Logger): Promise<PassResult> {
    const supervisorId = await this.#ensureSupervisorId(log);

    const desired = await this.#readDesired(supervisorId, log);
    if (!desired.ok) throw new Error(`cannot read the desired state: ${desired.reason}`);

    const observed = await this.#options.backend.list();

    const actions = plan(desired, observed);

    await this.#act(actions, signal, log);

    await this.#report(log);
    log.debug(
      { desired: desired.plugins.length, observed: observed.length, actions: actions.length },
      'Reconciled',
    );
    return {};
  }

  /** Publishes the observed instances (the heartbeat); remembers the supervisor it returns. */
  async publish(log: Logger): Promise<PublishedSupervisor> {
    const observed = await this.#options.backend.list();
    try {
      const supervisor = await this.#options.controlPlane.publish(observed.map(toReported));
      this.#setConnection('CONNECTED', log);
      this.#onPublished(supervisor, log);
      return supervisor;
    } catch (err) {
      this.#setConnection('UNREACHABLE', log, err);
      throw err;
    }
  }

  async #ensureSupervisorId(log: Logger): Promise<string> {
    return this.#supervisor?.supervisor_id ?? (await this.publish(log)).supervisor_id;
  }

  async #readDesired(supervisorId: string, log: Logger): Promise<DesiredRead> {
    try {
      const plugins = await this.#options.controlPlane.listPlugins(supervisorId);
      this.#setConnection('CONNECTED', log);
      return { ok: true, plugins };
    } catch (err) {
      this.#setConnection('UNREACHABLE', log, err);
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  async #act(actions: readonly Action[], signal: AbortSignal, log: Logger): Promise<void> {
    for (const action of actions) {
      signal.throwIfAborted();
      await this.#apply(action, log);
    }
  }

  async #apply(action: Action, log: Logger): Promise<void> {
    const backend = this.#options.backend;
    const fields = {
      pluginId: action.key.plugin_id,
      version: action.key.version,
      backend: backend.name,
    };

    if (action.type === 'delete') {
      const result = await backend.delete(action.key);
      log.info({ ...fields, result }, 'Deleted plugin instance');
      return;
    }
    if (action.type === 'recreate') {
      await backend.delete(action.key);
      log.info({ ...fields, because: action.because }, 'Recreating plugin instance');
    }

    const result = await backend.create({ ...action.key, revision: action.revision });
    log.info({ ...fields, result }, 'Created plugin instance');
  }

  async #report(log: Logger): Promise<void> {
    await this.publish(log);
  }

  #onPublished(supervisor: PublishedSupervisor, log: Logger): void {
    const previous = this.#supervisor;
    this.#supervisor = supervisor;
    if (
      previous?.supervisor_id !== supervisor.supervisor_id ||
      previous.state !== supervisor.state
    ) {
      log.info(
        { supervisorId: supervisor.supervisor_id, state: supervisor.state },
        'Supervisor state',
      );
    }
    this.#options.onPublished?.(supervisor);
  }

  #setConnection(next: ConnectionState, log: Logger, err?: unknown): void {
    if (this.#connection === next) return;
    this.#connection = next;
    if (next === 'UNREACHABLE')
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'Control plane unreachable; plugins keep running',
      );
    else log.info({}, 'Control plane connected');
  }
}

function toReported(instance: ObservedInstance): ReportedPlugin {
  return {
    plugin_id: instance.plugin_id,
    version: instance.version,
    state: instance.state,
    endpoint: instance.endpoint,
    endpoints: instance.endpoints,
    error_message: instance.errorMessage,
    revision: reportedRevision(instance),
  };
}
