import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from 'pino';

import type { InstanceKey, ObservedInstance } from '../backend.js';
import { findFreePort, isPortFree } from './free-port.js';
import { probeOnce, waitUntilServing, type ProbeMode } from './health-probe.js';
import {
  isSameProcessAlive,
  readProcessIdentity,
  type ProcessIdentity,
} from './process-identity.js';
import type { InstanceRecord } from './state-file.js';

/** How to run one `plugin_id@version`, from the agent's catalog. */
export interface ProcessCommand {
  /** The program and its arguments; run without a shell. */
  argv: string[];
  /** Extra environment variables for the plugin. */
  env?: Record<string, string>;
  /** Working directory; the agent's own when absent. */
  cwd?: string;
  /** How readiness is judged; `grpc` (health service, TCP fallback) when absent. */
  probe?: ProbeMode;
}

/** How a crashing plugin is restarted: after 1, 2, 4… times `initialBackoffMs`, capped. */
export interface RestartPolicy {
  /** Restarts in a row before the instance is reported ERROR and left stopped. */
  maxRestarts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An instance ACTIVE for this long has its restart count reset. */
  stableAfterMs: number;
}

/** What a ProcessInstance needs from its backend. */
export interface ProcessInstanceContext {
  host: string;
  supervisorName: string;
  /** The agent's data dir, given to the plugin so its processes can be told apart. */
  dataDir: string;
  logFile: string;
  stopGraceMs: number;
  startTimeoutMs: number;
  adoptPollMs: number;
  /** How often an ACTIVE instance is probed again; after 3 failures in a row it is restarted. */
  healthIntervalMs: number;
  restart: RestartPolicy;
  logger: Logger;
  /** The observed state or endpoint changed. */
  onChange: () => void;
  /** The running process changed (started, restarted, gone): the state file must be rewritten. */
  onProcessChange: () => Promise<void>;
}

const HEALTH_FAILURES_BEFORE_RESTART = 3;

type Phase = 'STARTING' | 'RUNNING' | 'BACKOFF' | 'FAILED' | 'STOPPING' | 'STOPPED' | 'DETACHED';

interface RunningProcess {
  identity: ProcessIdentity;
  port: number;
  startedAt: Date;
  exited: Promise<string>;
  stopWatching: () => void;
}

/**
 * One plugin instance run as a child process: starts it on a free loopback port, judges it
 * ACTIVE once it answers its health check, restarts it with exponential backoff when it exits
 * unexpectedly and gives up (ERROR, with the exit reason) after `maxRestarts` crashes in a row.
 * Processes run in their own process group, detached, so that they outlive the agent and can be
 * adopted by the next one; they are signalled only after their identity is checked.
 */
export class ProcessInstance {
  readonly key: InstanceKey;
  readonly revision: string;
  readonly #command: ProcessCommand | undefined;
  readonly #ctx: ProcessInstanceContext;
  #phase: Phase = 'STARTING';
  #process: RunningProcess | undefined;
  #port: number | undefined;
  #restarts = 0;
  #errorMessage = '';
  #killReason: string | undefined;
  #probe = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #createdAt = new Date();

  private constructor(
    key: InstanceKey,
    revision: string,
    command: ProcessCommand | undefined,
    ctx: ProcessInstanceContext,
  ) {
    this.key = { plugin_id: key.plugin_id, version: key.version };
    this.revision = revision;
    this.#command = command;
    this.#ctx = ctx;
  }

  /** Starts a new instance; resolves once its first process is running (not yet ACTIVE). */
  static async launch(
    key: InstanceKey,
    revision: string,
    command: ProcessCommand,
    ctx: ProcessInstanceContext,
  ): Promise<ProcessInstance> {
    const instance = new ProcessInstance(key, revision, command, ctx);
    await instance.#startProcess();
    return instance;
  }

  /** An instance that cannot run at all (e.g. no command in the catalog); observed as ERROR. */
  static failed(
    key: InstanceKey,
    revision: string,
    reason: string,
    ctx: ProcessInstanceContext,
  ): ProcessInstance {
    const instance = new ProcessInstance(key, revision, undefined, ctx);
    instance.#phase = 'FAILED';
    instance.#errorMessage = reason;
    return instance;
  }

  /** Takes over a process an earlier agent started, already checked to be alive. */
  static adopt(
    record: InstanceRecord,
    command: ProcessCommand | undefined,
    ctx: ProcessInstanceContext,
  ): ProcessInstance {
    const instance = new ProcessInstance(record, record.revision, command, ctx);
    const identity = { pid: record.pid, startTime: record.startTime, cmdline: record.cmdline };
    instance.#port = record.port;
    instance.#createdAt = new Date(record.startedAt);
    instance.#attach({
      identity,
      port: record.port,
      startedAt: new Date(record.startedAt),
      ...watchAdopted(identity, ctx.adoptPollMs),
    });
    return instance;
  }

  /** The instance as the agent reports it. */
  observe(): ObservedInstance {
    const endpoint =
      this.#phase === 'RUNNING' && this.#process
        ? `grpc://${this.#ctx.host}:${this.#process.port}`
        : '';

    return {
      plugin_id: this.key.plugin_id,
      version: this.key.version,
      state:
        this.#phase === 'RUNNING' ? 'ACTIVE' : this.#phase === 'FAILED' ? 'ERROR' : 'PROVISIONING',
      endpoint,
      endpoints: endpoint === '' ? [] : [endpoint],
      revision: this.revision,
      startedAt: this.#process?.startedAt ?? this.#createdAt,
      errorMessage: this.#phase === 'FAILED' ? this.#errorMessage : '',
    };
  }

  /** What the state file keeps of it; undefined while no process runs. */
  record(): InstanceRecord | undefined {
    const proc = this.#process;
    if (proc === undefined || !(this.#phase === 'STARTING' || this.#phase === 'RUNNING'))
      return undefined;

    return {
      ...this.key,
      ...proc.identity,
      revision: this.revision,
      host: this.#ctx.host,
      port: proc.port,
      startedAt: proc.startedAt.toISOString(),
      logFile: this.#ctx.logFile,
    };
  }

  /** The pid of the running process, if any (for tests and logs). */
  get pid(): number | undefined {
    return this.#process?.identity.pid;
  }

  /** Stops the process: SIGTERM to its group, SIGKILL after the grace period. Never restarts. */
  async stop(): Promise<void> {
    this.#phase = 'STOPPING';
    this.#cancelBackground();

    const proc = this.#process;
    if (proc !== undefined) await this.#terminate(proc);
    proc?.stopWatching();

    this.#process = undefined;
    this.#phase = 'STOPPED';
  }

  /** Stops watching and leaves the process running, for the next agent to adopt. */
  detach(): void {
    this.#phase = 'DETACHED';
    this.#cancelBackground();
    this.#process?.stopWatching();
  }

  async #startProcess(): Promise<void> {
    this.#phase = 'STARTING';
    const command = this.#command;
    if (command === undefined) throw new Error('no command to start');

    const port = await this.#choosePort();
    const child = this.#spawn(command, port);
    const proc = await runningProcess(child, port);
    this.#attach(proc);

    await this.#ctx.onProcessChange();
  }

  #attach(proc: RunningProcess): void {
    this.#process = proc;
    this.#port = proc.port;
    this.#phase = 'STARTING';
    this.#probe = new AbortController();

    void proc.exited.then((reason) => this.#onExit(proc, reason));
    void this.#waitUntilReady(proc, this.#probe.signal);
  }

  async #choosePort(): Promise<number> {
    // Reusing the previous port keeps the endpoint that clients hold valid across a restart.
    if (this.#port !== undefined && (await isPortFree(this.#port, this.#ctx.host)))
      return this.#port;
    return findFreePort(this.#ctx.host);
  }

  #spawn(command: ProcessCommand, port: number): ChildProcess {
    const [program, ...args] = command.argv;
    if (program === undefined) throw new Error('empty command');

    const log = openSync(this.#ctx.logFile, 'a');
    try {
      writeSync(
        log,
        `--- plugvisor: starting ${this.#label()} on ${this.#ctx.host}:${port} at ${new Date().toISOString()}: ${command.argv.join(' ')}\n`,
      );
      const child = spawn(program, args, {
        cwd: command.cwd,
        detached: true,
        stdio: ['ignore', log, log],
        env: pluginEnvironment(this.key, this.revision, port, command, this.#ctx),
      });
      child.unref();
      return child;
    } finally {
      closeSync(log);
    }
  }

  async #waitUntilReady(proc: RunningProcess, signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.#ctx.startTimeoutMs);
    const ready = await waitUntilServing(this.#ctx.host, proc.port, {
      mode: this.#command?.probe,
      signal: AbortSignal.any([signal, timeout]),
    });
    if (this.#process !== proc || this.#phase !== 'STARTING') return;

    if (!ready) {
      if (!timeout.aborted) return;
      this.#killReason = `did not answer its health check within ${this.#ctx.startTimeoutMs} ms`;
      killGroup(proc.identity.pid, 'SIGKILL');
      return;
    }

    this.#phase = 'RUNNING';
    this.#errorMessage = '';
    this.#ctx.logger.info(
      { ...this.#fields(), pid: proc.identity.pid, port: proc.port },
      'Plugin instance active',
    );
    this.#timer = setTimeout(() => (this.#restarts = 0), this.#ctx.restart.stableAfterMs).unref();
    this.#watchHealth(proc);
    this.#ctx.onChange();
  }

  /** Probes an ACTIVE instance periodically: one that stops answering is killed and restarted. */
  #watchHealth(proc: RunningProcess): void {
    let failures = 0;
    const check = async () => {
      const result = await probeOnce(this.#ctx.host, proc.port, this.#command?.probe);
      if (this.#process !== proc || this.#phase !== 'RUNNING') return;

      failures = result === 'SERVING' ? 0 : failures + 1;
      if (failures < HEALTH_FAILURES_BEFORE_RESTART) {
        this.#healthTimer = setTimeout(() => void check(), this.#ctx.healthIntervalMs).unref();
        return;
      }
      this.#killReason = `stopped answering its health check (${result} ${failures} times in a row)`;
      if (await isSameProcessAlive(proc.identity)) killGroup(proc.identity.pid, 'SIGKILL');
    };
    this.#healthTimer = setTimeout(() => void check(), this.#ctx.healthIntervalMs).unref();
  }

  #onExit(proc: RunningProcess, exitReason: string): void {
    if (this.#process !== proc || !(this.#phase === 'STARTING' || this.#phase === 'RUNNING'))
      return;

    const reason = this.#killReason ?? exitReason;
    this.#killReason = undefined;
    this.#process = undefined;
    this.#cancelBackground();
    this.#restarts += 1;
    this.#errorMessage = reason;

    if (this.#restarts > this.#ctx.restart.maxRestarts) this.#giveUp(reason);
    else this.#scheduleRestart(reason);

    this.#ctx.onChange();
    void this.#ctx
      .onProcessChange()
      .catch((err: unknown) =>
        this.#ctx.logger.error({ ...this.#fields(), err }, 'Cannot write the state file'),
      );
  }

  #giveUp(reason: string): void {
    const { maxRestarts } = this.#ctx.restart;
    this.#phase = 'FAILED';
    this.#errorMessage = `${reason}; gave up after ${maxRestarts} restarts (log: ${this.#ctx.logFile})`;
    this.#ctx.logger.error(
      { ...this.#fields(), reason, restarts: maxRestarts },
      'Plugin instance keeps crashing',
    );
  }

  #scheduleRestart(reason: string): void {
    const { initialBackoffMs, maxBackoffMs } = this.#ctx.restart;
    const delayMs = Math.min(initialBackoffMs * 2 ** (this.#restarts - 1), maxBackoffMs);
    this.#phase = 'BACKOFF';
    this.#ctx.logger.warn(
      { ...this.#fields(), reason, restart: this.#restarts, delayMs },
      'Plugin instance exited; restarting',
    );

    this.#timer = setTimeout(() => void this.#restart(), delayMs);
  }

  async #restart(): Promise<void> {
    if (this.#phase !== 'BACKOFF') return;
    try {
      await this.#startProcess();
    } catch (err) {
      this.#phase = 'FAILED';
      this.#errorMessage = `cannot restart: ${err instanceof Error ? err.message : String(err)}`;
      this.#ctx.logger.error({ ...this.#fields(), err }, 'Plugin instance cannot restart');
      this.#ctx.onChange();
    }
  }

  async #terminate(proc: RunningProcess): Promise<void> {
    if (!(await isSameProcessAlive(proc.identity))) return;

    killGroup(proc.identity.pid, 'SIGTERM');
    if (await waitGone(proc, this.#ctx.stopGraceMs)) return;

    this.#ctx.logger.warn(
      { ...this.#fields(), pid: proc.identity.pid, graceMs: this.#ctx.stopGraceMs },
      'Plugin instance ignored SIGTERM; killing',
    );
    if (await isSameProcessAlive(proc.identity)) killGroup(proc.identity.pid, 'SIGKILL');
    await waitGone(proc, this.#ctx.stopGraceMs);
  }

  #cancelBackground(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#healthTimer);
    this.#probe.abort();
  }

  #label(): string {
    return `${this.key.plugin_id}@${this.key.version}`;
  }

  #fields(): Record<string, string> {
    return { pluginId: this.key.plugin_id, version: this.key.version, backend: 'process' };
  }
}

/** The environment a plugin process gets: the agent's, without its PLUGVISOR_ secrets, plus these. */
function pluginEnvironment(
  key: InstanceKey,
  revision: string,
  port: number,
  command: ProcessCommand,
  ctx: ProcessInstanceContext,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PLUGVISOR_')),
  );

  return {
    ...inherited,
    ...command.env,
    PLUGVISOR_PLUGIN_HOST: ctx.host,
    PLUGVISOR_PLUGIN_PORT: String(port),
    PLUGVISOR_PLUGIN_ID: key.plugin_id,
    PLUGVISOR_PLUGIN_VERSION: key.version,
    PLUGVISOR_SUPERVISOR_NAME: ctx.supervisorName,
    PLUGVISOR_INSTANCE_REVISION: revision,
    PLUGVISOR_AGENT_DATA_DIR: ctx.dataDir,
  };
}

async function runningProcess(child: ChildProcess, port: number): Promise<RunningProcess> {
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve(
        signal !== null ? `killed by signal ${signal}` : `exited with code ${code ?? 'unknown'}`,
      ),
    );
    child.once('error', (err) => resolve(`cannot start: ${err.message}`));
  });
  const pid = child.pid;
  const identity = (pid !== undefined ? await readProcessIdentity(pid) : undefined) ?? {
    pid: pid ?? -1,
    startTime: '',
    cmdline: [],
  };

  return { identity, port, startedAt: new Date(), exited, stopWatching: () => undefined };
}

/** Watches a process that is not our child: it is gone when its identity no longer matches. */
function watchAdopted(
  identity: ProcessIdentity,
  pollMs: number,
): Pick<RunningProcess, 'exited' | 'stopWatching'> {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      void isSameProcessAlive(identity).then((alive) => {
        if (alive) return;
        clearInterval(timer);
        resolve('exited (adopted process; exit status unknown)');
      });
    }, pollMs).unref();
  });

  return { exited, stopWatching: () => clearInterval(timer) };
}

async function waitGone(proc: RunningProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let gone = false;
  void proc.exited.then(() => (gone = true));

  while (!gone && Date.now() < deadline) {
    if (!(await isSameProcessAlive(proc.identity))) return true;
    await sleep(20);
  }
  return gone || !(await isSameProcessAlive(proc.identity));
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone (ESRCH): nothing to stop.
  }
}
