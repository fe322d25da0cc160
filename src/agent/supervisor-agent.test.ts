import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';

import {
  instanceKeyString,
  type Backend,
  type CreateResult,
  type DeleteResult,
  type InstanceKey,
  type InstanceSpec,
  type ObservedInstance,
} from './backends/backend.js';
import type {
  ControlPlane,
  DesiredWatch,
  PublishedSupervisor,
  ReportedPlugin,
} from './control-plane.js';
import type { DesiredPlugin } from './plan.js';
import { SupervisorAgent, type SupervisorAgentOptions } from './supervisor-agent.js';

/** A hand-written control plane: desired state in memory, every publish recorded. */
class FakeControlPlane implements ControlPlane {
  desired: DesiredPlugin[] = [];
  publishes: ReportedPlugin[][] = [];
  listCalls = 0;
  down = false;
  supportsWatch = true;
  watchOpens = 0;
  #watchers = new Set<() => void>();
  #endWatches = new Set<(err: Error) => void>();

  async publish(report: readonly ReportedPlugin[]): Promise<PublishedSupervisor> {
    if (this.down) throw new Error('14 UNAVAILABLE: connection refused');
    this.publishes.push([...report]);
    return { supervisor_id: 'supervisor-0123456789ab', state: 'ENABLED' };
  }

  async listPlugins(supervisorId: string): Promise<DesiredPlugin[]> {
    this.listCalls += 1;
    if (this.down) throw new Error('14 UNAVAILABLE: connection refused');
    assert.equal(supervisorId, 'supervisor-0123456789ab');
    return this.desired.map((d) => ({ ...d }));
  }

  get watch(): ControlPlane['watch'] {
    if (!this.supportsWatch) return undefined;
    return (_supervisorId: string, onDesiredChanged: () => void): DesiredWatch => {
      this.watchOpens += 1;
      let end: (err: Error | undefined) => void = () => undefined;
      const ended = new Promise<Error | undefined>((resolve) => (end = resolve));
      const fail = (err: Error) => end(err);
      this.#watchers.add(onDesiredChanged);
      this.#endWatches.add(fail);
      return {
        ended,
        opened: this.down ? Promise.reject(new Error('down')) : Promise.resolve(),
        close: () => {
          this.#watchers.delete(onDesiredChanged);
          this.#endWatches.delete(fail);
          end(undefined);
        },
      };
    };
  }

  /** Changes the desired set and tells watching agents, as the real control plane does. */
  setDesired(desired: DesiredPlugin[]): void {
    this.desired = desired;
    for (const watcher of this.#watchers) watcher();
  }

  breakWatches(): void {
    for (const end of this.#endWatches) end(new Error('stream reset'));
    this.#endWatches.clear();
    this.#watchers.clear();
  }

  lastReport(): ReportedPlugin[] | undefined {
    return this.publishes.at(-1);
  }
}

/** A hand-written backend: instances become ACTIVE a few milliseconds after create. */
class FakeBackend implements Backend {
  readonly name = 'fake';
  instances = new Map<string, ObservedInstance>();
  creates: InstanceSpec[] = [];
  deletes: InstanceKey[] = [];
  closedWith: { stopInstances: boolean } | undefined;
  #listeners = new Set<() => void>();
  #port = 50000;

  async start(): Promise<void> {}

  async list(): Promise<ObservedInstance[]> {
    return [...this.instances.values()].map((i) => ({ ...i }));
  }

  async create(spec: InstanceSpec): Promise<CreateResult> {
    const key = instanceKeyString(spec);
    if (this.instances.has(key)) return 'unchanged';
    this.creates.push(spec);
    const instance: ObservedInstance = {
      plugin_id: spec.plugin_id,
      version: spec.version,
      state: 'PROVISIONING',
      endpoint: '',
      endpoints: [],
      revision: spec.revision,
      startedAt: new Date(),
      errorMessage: '',
    };
    this.instances.set(key, instance);
    const port = ++this.#port;
    setTimeout(() => {
      if (this.instances.get(key) !== instance) return;
      instance.state = 'ACTIVE';
      instance.endpoint = `grpc://127.0.0.1:${port}`;
      instance.endpoints = [instance.endpoint];
      for (const listener of this.#listeners) listener();
    }, 5);
    return 'created';
  }

  async delete(key: InstanceKey): Promise<DeleteResult> {
    this.deletes.push(key);
    return this.instances.delete(instanceKeyString(key)) ? 'deleted' : 'unchanged';
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(options: { stopInstances: boolean }): Promise<void> {
    this.closedWith = options;
  }
}

const T0 = '2026-12-03T10:00:00.000Z';
const T1 = '2026-12-03T10:05:00.000Z';
const ECHO: DesiredPlugin = {
  plugin_id: 'plugin-echo',
  version: '1.0.0',
  state: 'PROVISIONING',
  revision: 1,
  updated_at: T0,
};

function startAgent(
  t: TestContext,
  overrides: Partial<SupervisorAgentOptions> = {},
): {
  agent: SupervisorAgent;
  cp: FakeControlPlane;
  backend: FakeBackend;
  logs: Record<string, unknown>[];
} {
  const cp = (overrides.controlPlane as FakeControlPlane | undefined) ?? new FakeControlPlane();
  const backend = new FakeBackend();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const agent = new SupervisorAgent({
    controlPlane: cp,
    backend,
    logger: pino({ level: 'debug' }, sink),
    resyncIntervalMs: 3_600_000,
    heartbeatIntervalMs: 3_600_000,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
    ...overrides,
  });
  t.after(() => agent.stop({ stopInstances: true }));
  return { agent, cp, backend, logs };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function reported(cp: FakeControlPlane, key: string): ReportedPlugin | undefined {
  return cp.lastReport()?.find((p) => `${p.plugin_id}@${p.version}` === key);
}

describe('the supervisor agent', () => {
  it('publishes on start, creates what is desired and reports it ACTIVE with its endpoint', async (t) => {
    const { agent, cp, backend } = startAgent(t);
    cp.desired = [ECHO];

    await agent.start();
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');

    assert.deepEqual(cp.publishes[0], [], 'the first publish, before anything runs');
    assert.equal(reported(cp, 'plugin-echo@1.0.0')?.endpoint, 'grpc://127.0.0.1:50001');
    assert.deepEqual(backend.creates, [
      { plugin_id: 'plugin-echo', version: '1.0.0', revision: '1' },
    ]);
    assert.equal(reported(cp, 'plugin-echo@1.0.0')?.revision, 1, 'echoes the desired revision');
    assert.equal(agent.supervisor?.supervisor_id, 'supervisor-0123456789ab');
    assert.equal(agent.state, 'RUNNING');
  });

  it('reacts to a desired change on the watch stream in well under a second', async (t) => {
    const { agent, cp } = startAgent(t);
    await agent.start();
    await waitFor(() => cp.publishes.length > 0 && cp.watchOpens === 1);
    await sleep(20);

    const started = Date.now();
    cp.setDesired([ECHO]);
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');

    assert.ok(Date.now() - started < 300, `took ${Date.now() - started} ms`);
  });

  it('converges by periodic resync alone when the control plane offers no watch stream', async (t) => {
    const cp = new FakeControlPlane();
    cp.supportsWatch = false;
    const { agent } = startAgent(t, { controlPlane: cp, resyncIntervalMs: 50 });
    await agent.start();
    await waitFor(() => cp.publishes.length > 0);

    cp.setDesired([ECHO]);

    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE', 2_000);
  });

  it('re-opens a broken watch stream with backoff and reconciles once it is back', async (t) => {
    const { agent, cp } = startAgent(t);
    await agent.start();
    await waitFor(() => cp.watchOpens === 1);

    cp.breakWatches();
    await waitFor(() => cp.watchOpens === 2);
    cp.setDesired([ECHO]);

    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE', 1_000);
  });

  it('deletes an instance that is no longer desired', async (t) => {
    const { agent, cp, backend } = startAgent(t);
    cp.desired = [ECHO];
    await agent.start();
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');

    cp.setDesired([]);
    await waitFor(() => cp.lastReport()?.length === 0);

    assert.deepEqual(backend.deletes, [{ plugin_id: 'plugin-echo', version: '1.0.0' }]);
  });

  it('keeps every plugin running while list_plugins fails, and publishes again when it answers', async (t) => {
    const { agent, cp, backend, logs } = startAgent(t);
    cp.desired = [ECHO];
    await agent.start();
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');
    const publishesBefore = cp.publishes.length;

    cp.down = true;
    const listsBefore = cp.listCalls;
    agent.requestReconcile();
    await waitFor(() => cp.listCalls >= listsBefore + 3, 2_000);

    assert.deepEqual(backend.deletes, []);
    assert.equal(backend.instances.size, 1);
    assert.ok(logs.some((l) => l.msg === 'Control plane unreachable; plugins keep running'));

    cp.down = false;
    await waitFor(() => cp.publishes.length > publishesBefore, 2_000);
    assert.equal(reported(cp, 'plugin-echo@1.0.0')?.state, 'ACTIVE');
    assert.ok(logs.some((l) => l.msg === 'Control plane connected'));
  });

  it('starts while the control plane is down and catches up when it comes', async (t) => {
    const cp = new FakeControlPlane();
    cp.down = true;
    cp.desired = [ECHO];
    const { agent } = startAgent(t, { controlPlane: cp });

    await agent.start();
    await sleep(60);
    assert.equal(cp.publishes.length, 0);
    cp.down = false;

    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE', 2_000);
  });

  it('recreates an instance once when recover_plugin moves it to RE_PROVISIONING', async (t) => {
    const { agent, cp, backend } = startAgent(t);
    cp.desired = [ECHO];
    await agent.start();
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');
    const firstEndpoint = reported(cp, 'plugin-echo@1.0.0')?.endpoint;

    cp.setDesired([{ ...ECHO, state: 'RE_PROVISIONING', revision: 2, updated_at: T1 }]);
    await waitFor(() => {
      const now = reported(cp, 'plugin-echo@1.0.0');
      return now?.state === 'ACTIVE' && now.endpoint !== firstEndpoint;
    });
    agent.requestReconcile();
    agent.requestReconcile();
    await sleep(50);

    assert.equal(backend.creates.length, 2);
    assert.deepEqual(backend.creates[1], {
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      revision: '2',
    });
    assert.equal(backend.deletes.length, 1);
    assert.equal(reported(cp, 'plugin-echo@1.0.0')?.revision, 2);
  });

  it('publishes at the heartbeat interval', async (t) => {
    const { agent, cp } = startAgent(t, { heartbeatIntervalMs: 40 });
    await agent.start();

    await sleep(200);

    assert.ok(cp.publishes.length >= 4, `published ${cp.publishes.length} times`);
  });

  it('drains and releases the backend on stop, logging each state transition', async (t) => {
    const { agent, backend, logs } = startAgent(t);
    await agent.start();

    await agent.stop({ stopInstances: false });

    assert.equal(agent.state, 'STOPPED');
    assert.deepEqual(backend.closedWith, { stopInstances: false });
    const transitions = logs
      .filter((l) => l.msg === 'Agent state')
      .map((l) => `${l.from}->${l.to}`);
    assert.deepEqual(transitions, [
      'INITIALIZED->STARTING',
      'STARTING->RUNNING',
      'RUNNING->DRAINING',
      'DRAINING->STOPPED',
    ]);
  });

  it('gives every reconcile pass a logger carrying its passId', async (t) => {
    const { agent, cp, logs } = startAgent(t);
    cp.desired = [ECHO];
    await agent.start();
    await waitFor(() => reported(cp, 'plugin-echo@1.0.0')?.state === 'ACTIVE');

    const created = logs.find((l) => l.msg === 'Created plugin instance');
    assert.match(String(created?.passId), /^[0-9a-f]{6}-\d+$/);
    assert.equal(created?.pluginId, 'plugin-echo');
    assert.equal(created?.result, 'created');
  });
});
