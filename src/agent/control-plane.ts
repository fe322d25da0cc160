import type { ObservedState } from './backends/backend.js';
import type { DesiredPlugin } from './plan.js';

/**
 * The agent's view of the control plane: the three calls a supervisor agent makes. The gRPC
 * implementation sits over `transport/client`; tests use a hand-written fake.
 *
 * Every call must settle within a bounded time (a deadline), so that a reconcile pass cannot
 * hang on a dead connection.
 */
export interface ControlPlane {
  /**
   * Publishes the supervisor with the instances it runs (the agent's heartbeat), and returns the
   * supervisor as the control plane now knows it.
   */
  publish(report: readonly ReportedPlugin[]): Promise<PublishedSupervisor>;

  /** The installed plugins desired on this supervisor (list_plugins). */
  listPlugins(supervisorId: string): Promise<DesiredPlugin[]>;

  /**
   * Opens the stream through which the control plane says "your desired set changed". Optional:
   * an agent whose control plane cannot stream converges by periodic resync alone.
   */
  watch?(supervisorId: string, onDesiredChanged: () => void): DesiredWatch;
}

/** An open watch stream. */
export interface DesiredWatch {
  /** Settles when the stream ends: with the error that ended it, or undefined on close(). */
  readonly ended: Promise<Error | undefined>;
  /** Resolves once the control plane accepted the stream. */
  readonly opened: Promise<void>;
  close(): void;
}

/** One instance in a publish, in the API's words (PluginInfo). */
export interface ReportedPlugin {
  plugin_id: string;
  version: string;
  state: ObservedState;
  endpoint: string;
  endpoints: string[];
  /** Why it is ERROR; empty otherwise (PluginInfo.error_message, a Plugvisor addition). */
  error_message: string;
  /**
   * The desired revision the instance was created for (PluginInfo.revision), 0 when unknown; the
   * control plane ignores a report whose revision is not the current one.
   */
  revision: number;
}

/** What a publish returns that the agent uses. */
export interface PublishedSupervisor {
  supervisor_id: string;
  /** NONE, ENABLED, DISABLED, PENDING or DISCONNECTED. */
  state: string;
}
