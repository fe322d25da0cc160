import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { Logger } from 'pino';

import {
  instanceKeyString,
  type Backend,
  type CreateResult,
  type DeleteResult,
  type InstanceKey,
  type InstanceSpec,
  type ObservedInstance,
} from '../backend.js';
import {
  ProcessInstance,
  type ProcessCommand,
  type ProcessInstanceContext,
  type RestartPolicy,
} from './process-instance.js';
import { isSameProcessAlive, readProcessIdentity, readStat } from './process-identity.js';
import { DataDirLock } from './data-dir-lock.js';
import { StateFile, type InstanceRecord } from './state-file.js';

/** Defaults of ProcessBackendOptions. */
export const DEFAULT_PROCESS_BACKEND_OPTIONS = {
  host: '127.0.0.1',
  stopGraceMs: 5_000,
  startTimeoutMs: 60_000,
  adoptPollMs: 1_000,
  healthIntervalMs: 10_000,
  restart: {
    maxRestarts: 5,
    initialBackoffMs: 250,
    maxBackoffMs: 30_000,
    stableAfterMs: 60_000,
  } satisfies RestartPolicy,
};

/** How a ProcessBackend is set up. */
export interface ProcessBackendOptions {
  /** The agent's data dir; the backend keeps `process/state.json` and `logs/` under it. */
  dataDir: string;
  /** The supervisor the instances belong to (the backend's label on every process). */
  supervisorName: string;
  /**
   * How to run `plugin_id@version` (from the agent's catalog). Throwing means it cannot run: the
   * instance is then observed as ERROR with the error's message.
   */
  resolveCommand: (key: InstanceKey) => Promise<ProcessCommand>;
  logger: Logger;
  /** Loopback address plugins listen on (default 127.0.0.1). */
  host?: string;
  stopGraceMs?: number;
  startTimeoutMs?: number;
  /** How often an adopted process (not our child) is checked for being alive. */
  adoptPollMs?: number;
  /** How often an ACTIVE instance is probed again (default 10 s). */
  healthIntervalMs?: number;
  restart?: Partial<RestartPolicy>;
}

/**
 * Runs plugins as child processes of the agent on the local host.
 *
 * Each instance is one process, in its own process group, listening on a free port of the
 * loopback address given in `PLUGVISOR_PLUGIN_PORT`; its stdout and stderr are appended to
 * `<dataDir>/logs/<plugin_id>@<version>.log`. The backend records every process it starts in
 * `<dataDir>/process/state.json` (pid, start time, command line); on `start()` it adopts the
 * recorded processes that are still the same processes, and also finds processes started for
 * this supervisor and data dir that the file missed (an agent killed between spawn and write).
 * A second process for an instance already adopted is stopped: no duplicates, no orphans.
 */
export class ProcessBackend implements Backend {
  readonly name = 'process';
  readonly #options: ProcessBackendOptions;
  readonly #dataDir: string;
  readonly #stateFile: StateFile;
  readonly #instances = new Map<string, ProcessInstance>();
  readonly #listeners = new Set<() => void>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #lock: DataDirLock;

  constructor(options: ProcessBackendOptions) {
    this.#options = options;
    this.#dataDir = resolve(options.dataDir);
    this.#stateFile = new StateFile(
      join(this.#dataDir, 'process', 'state.json'),
      options.supervisorName,
    );
    this.#lock = new DataDirLock(join(this.#dataDir, 'agent.lock'));
  }

  async start(): Promise<void> {
    await mkdir(join(this.#dataDir, 'logs'), { recursive: true });
    await this.#lock.acquire();

    const recorded = await this.#readStateFile();
    const unrecorded = await this.#findUnrecorded(new Set(recorded.map((r) => r.pid)));
    for (const record of [...recorded, ...unrecorded]) await this.#adoptOrStop(record);

    await this.#persist();
  }

  async list(): Promise<ObservedInstance[]> {
    return [...this.#instances.values()].map((instance) => instance.observe());
  }

  create(spec: InstanceSpec): Promise<CreateResult> {
    const key = instanceKeyString(spec);
    return this.#locked(key, async () => {
      if (this.#instances.has(key)) return 'unchanged';

      const ctx = this.#context(spec);
      let instance: ProcessInstance;
      try {
        const command = await this.#options.resolveCommand(spec);
        instance = await ProcessInstance.launch(spec, spec.revision, command, ctx);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.#options.logger.error(
          { pluginId: spec.plugin_id, version: spec.version, backend: this.name, reason },
          'Cannot start plugin instance',
        );
        instance = ProcessInstance.failed(spec, spec.revision, reason, ctx);
      }

      this.#instances.set(key, instance);
      await this.#persist();
      return 'created';
    });
  }

  delete(key: InstanceKey): Promise<DeleteResult> {
    const name = instanceKeyString(key);
    return this.#locked(name, async () => {
      const instance = this.#instances.get(name);
      if (instance === undefined) return 'unchanged';

      await instance.stop();
      this.#instances.delete(name);
      await this.#persist();
      return 'deleted';
    });
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(options: { stopInstances: boolean }): Promise<void> {
    if (options.stopInstances) {
      await Promise.all([...this.#instances.values()].map((instance) => this.delete(instance.key)));
    } else {
      for (const instance of this.#instances.values()) instance.detach();
      await this.#persist();
    }
    await this.#lock.release();
  }

  /** The pid of an instance's running process, if any (for tests and diagnostics). */
  pidOf(key: InstanceKey): number | undefined {
    return this.#instances.get(instanceKeyString(key))?.pid;
  }

  /** The log file of an instance. */
  logFileOf(key: InstanceKey): string {
    return join(this.#dataDir, 'logs', `${instanceKeyString(key)}.log`);
  }

  async #adoptOrStop(record: InstanceRecord): Promise<void> {
    const key = instanceKeyString(record);
    const fields = {
      pluginId: record.plugin_id,
      version: record.version,
      pid: record.pid,
      backend: this.name,
    };
    if (!(await isSameProcessAlive(record))) {
      this.#options.logger.info(fields, 'Recorded plugin process is gone');
      return;
    }

    if (this.#instances.has(key)) {
      this.#options.logger.warn(fields, 'Stopping a duplicate plugin process');
      await ProcessInstance.adopt(record, undefined, this.#context(record)).stop();
      return;
    }

    const command = await this.#options.resolveCommand(record).catch(() => undefined);
    this.#instances.set(key, ProcessInstance.adopt(record, command, this.#context(record)));
    this.#options.logger.info(fields, 'Adopted running plugin process');
  }

  async #readStateFile(): Promise<InstanceRecord[]> {
    try {
      return await this.#stateFile.read();
    } catch (err) {
      const aside = `${this.#stateFile.path}.unreadable-${Date.now()}`;
      this.#options.logger.error(
        { err, movedTo: aside, backend: this.name },
        'Cannot read the process state file; moving it aside',
      );
      await rename(this.#stateFile.path, aside).catch(() => undefined);
      return [];
    }
  }

  /** Processes labelled with this supervisor and data dir that the state file does not name. */
  async #findUnrecorded(recorded: Set<number>): Promise<InstanceRecord[]> {
    const entries = await readdir('/proc').catch(() => [] as string[]);
    const found: InstanceRecord[] = [];

    for (const entry of entries) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid || recorded.has(pid)) continue;
      const record = await this.#recordFromEnvironment(pid);
      if (record !== undefined) found.push(record);
    }
    return found;
  }

  async #recordFromEnvironment(pid: number): Promise<InstanceRecord | undefined> {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => undefined);
    if (environ === undefined || !environ.includes('PLUGVISOR_AGENT_DATA_DIR=')) return undefined;

    const env = new Map(
      environ
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    if (env.get('PLUGVISOR_AGENT_DATA_DIR') !== this.#dataDir) return undefined;
    if (env.get('PLUGVISOR_SUPERVISOR_NAME') !== this.#options.supervisorName) return undefined;

    // Only the group leader is the instance; its own children share its process group.
    const stat = await readStat(pid);
    const identity = await readProcessIdentity(pid);
    if (stat?.processGroup !== pid || identity === undefined) return undefined;

    const plugin_id = env.get('PLUGVISOR_PLUGIN_ID') ?? '';
    const version = env.get('PLUGVISOR_PLUGIN_VERSION') ?? '';
    return {
      ...identity,
      plugin_id,
      version,
      revision: env.get('PLUGVISOR_INSTANCE_REVISION') ?? '',
      host: env.get('PLUGVISOR_PLUGIN_HOST') ?? this.#host(),
      port: Number(env.get('PLUGVISOR_PLUGIN_PORT')),
      startedAt: new Date().toISOString(),
      logFile: this.logFileOf({ plugin_id, version }),
    };
  }

  #context(key: InstanceKey): ProcessInstanceContext {
    const o = this.#options;
    const d = DEFAULT_PROCESS_BACKEND_OPTIONS;

    return {
      host: this.#host(),
      supervisorName: o.supervisorName,
      dataDir: this.#dataDir,
      logFile: this.logFileOf(key),
      stopGraceMs: o.stopGraceMs ?? d.stopGraceMs,
      startTimeoutMs: o.startTimeoutMs ?? d.startTimeoutMs,
      adoptPollMs: o.adoptPollMs ?? d.adoptPollMs,
      healthIntervalMs: o.healthIntervalMs ?? d.healthIntervalMs,
      restart: { ...d.restart, ...o.restart },
      logger: o.logger,
      onChange: () => this.#emitChange(),
      onProcessChange: () => this.#persist(),
    };
  }

  #host(): string {
    return this.#options.host ?? DEFAULT_PROCESS_BACKEND_OPTIONS.host;
  }

  #persist(): Promise<void> {
    const records = [...this.#instances.values()].flatMap((instance) => instance.record() ?? []);
    return this.#stateFile.write(records);
  }

  #emitChange(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Runs `work` after every earlier call for the same key finished: one change at a time. */
  #locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }
}
