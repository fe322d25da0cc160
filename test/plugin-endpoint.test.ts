/**
 * get_plugin_endpoint, notify_failure and recover_plugin over real gRPC on loopback, with a real
 * SQLite file. The test plays the agent through the real API: it learns the desired instances
 * with list_plugins and reports them with publish (plugin_info).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createAuthenticator, loadOrCreateKeys, mintToken } from '../src/auth/index.js';
import { parseCatalog } from '../src/catalog/index.js';
import type { InstalledPlugin, JsonObject } from '../src/domain/index.js';
import { buildServices, type Services } from '../src/service/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { ApiError, PluginClient, SupervisorClient } from '../src/transport/client/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../src/transport/index.js';

const CATALOG = parseCatalog(`
plugins:
  plugin-echo:
    name: Echo
    resource_type: plugvisor.Example
    versions: ['1.0.0', '1.1.0', '1.2.0-rc.1']
    process: { command: node, args: [echo.js] }
`);

/** One control plane (store, services, gRPC server) and clients of it. */
interface Plane {
  store: Store;
  services: Services;
  grpc: RunningGrpcServer;
  supervisors: SupervisorClient;
  plugins: PluginClient;
  close(): Promise<void>;
}

/** A clock the test moves by hand. */
class ManualClock {
  #now = Date.parse('2026-12-01T00:00:00.000Z');
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

async function startPlane(options: {
  installTimeoutMs: number;
  clock?: ManualClock;
}): Promise<Plane> {
  const dir = mkdtempSync(join(tmpdir(), 'pv-endpoint-'));
  const logger = pino({ level: process.env['PV_TEST_LOG'] ?? 'silent' });
  const store = await openStore(`sqlite:${join(dir, 'plugvisor.db')}`);
  const services = await buildServices(store, {
    logger,
    catalog: CATALOG,
    installTimeoutMs: options.installTimeoutMs,
    clock: options.clock,
  });
  const keys = await loadOrCreateKeys(dir);
  const grpc = await startGrpcServer(services, {
    host: '127.0.0.1',
    port: 0,
    logger,
    authenticator: createAuthenticator({ keys }),
  });
  const address = `127.0.0.1:${grpc.port}`;
  const token = await mintToken(keys, { role: 'SYSTEM' });
  const supervisors = new SupervisorClient(address, { token });
  const plugins = new PluginClient(address, { token });
  return {
    store,
    services,
    grpc,
    supervisors,
    plugins,
    async close() {
      supervisors.close();
      plugins.close();
      await grpc.close(100);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Plays one supervisor's agent over the API. */
class FakeAgent {
  constructor(
    readonly plane: Plane,
    readonly domainId: string,
    readonly hostname: string,
    readonly supervisorId: string,
  ) {}

  /** Publishes and registers a supervisor, leaving it ENABLED. */
  static async enabled(
    plane: Plane,
    domainId: string,
    hostname: string,
    fields: { priority?: number; labels?: JsonObject; is_public?: boolean } = {},
  ): Promise<FakeAgent> {
    const published = await plane.supervisors.publish({
      name: hostname,
      hostname,
      domain_id: domainId,
      labels: fields.labels ?? {},
      ...(fields.is_public === undefined ? {} : { is_public: fields.is_public }),
    });
    await plane.supervisors.register({
      supervisor_id: published.supervisor_id,
      domain_id: domainId,
      priority: fields.priority ?? 10,
    });
    return new FakeAgent(plane, domainId, hostname, published.supervisor_id);
  }

  /** The instances on this supervisor, as its agent sees them. */
  async desired(): Promise<Partial<InstalledPlugin>[]> {
    const answer = await this.plane.supervisors.listPlugins({
      supervisor_id: this.supervisorId,
      domain_id: this.domainId,
    });
    return answer.results;
  }

  /** Waits (polling list_plugins, as an agent's resync would) until an instance matches. */
  async waitFor(
    predicate: (p: Partial<InstalledPlugin>) => boolean,
    what: string,
  ): Promise<Partial<InstalledPlugin>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = (await this.desired()).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Reports one instance's state and endpoints in a heartbeat. */
  async report(version: string, state: string, endpoints: string[]): Promise<void> {
    await this.plane.supervisors.publish({
      name: this.hostname,
      hostname: this.hostname,
      domain_id: this.domainId,
      plugin_info: [
        { plugin_id: 'plugin-echo', version, state, endpoint: endpoints[0] ?? '', endpoints },
      ],
    });
  }
}

/** Tracks whether a promise has settled, to assert that a call is still waiting. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

async function rejectsWith(promise: Promise<unknown>, code: string, grpcStatus: number) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.grpcStatus, grpcStatus);
    return true;
  });
}

const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const UNAVAILABLE = 14;

describe('get_plugin_endpoint over gRPC', () => {
  let plane: Plane;
  before(async () => {
    plane = await startPlane({ installTimeoutMs: 10_000 });
  });
  after(() => plane.close());

  it('deploys on a cold request: PROVISIONING, then the endpoint once the agent reports ACTIVE', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-cold', 'host-cold');

    const call = track(
      plane.plugins.getPluginEndpoint({
        plugin_id: 'plugin-echo',
        version: '1.0.0',
        domain_id: 'domain-cold',
      }),
    );
    const desired = await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    assert.equal(desired.version, '1.0.0');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(call.settled(), false, 'the call waits while the instance is PROVISIONING');

    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7001']);
    const answer = await call.promise;
    assert.deepEqual(answer, {
      endpoint: 'grpc://127.0.0.1:7001',
      access_token: '',
      updated_version: '',
    });

    const [listed] = await agent.desired();
    assert.equal(listed?.state, 'ACTIVE');
    assert.equal(listed?.supervisor_name, 'host-cold');
    assert.equal(listed?.domain_id, 'domain-cold');
    assert.equal(listed?.managed, true);
    assert.deepEqual(listed?.endpoints, ['grpc://127.0.0.1:7001']);
    assert.notEqual(listed?.endpoint_called_at, '');
    assert.equal(plane.services.plugins.waitingCalls, 0);
  });

  it('creates one instance for ten concurrent cold requests and answers all ten', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-ten', 'host-ten');
    const request = { plugin_id: 'plugin-echo', version: '1.1.0', domain_id: 'domain-ten' };

    const calls = Array.from({ length: 10 }, () => plane.plugins.getPluginEndpoint(request));
    await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await agent.desired()).length, 1);
    const claims = await plane.store.db
      .selectFrom('installed_plugins')
      .selectAll()
      .where('plugin_id', '=', 'plugin-echo')
      .where('version', '=', '1.1.0')
      .execute();
    assert.equal(claims.length, 1, 'exactly one installed instance in the database');

    await agent.report('1.1.0', 'ACTIVE', ['grpc://127.0.0.1:7101', 'grpc://127.0.0.1:7102']);
    const answers = await Promise.all(calls);
    assert.equal(answers.length, 10);
    for (const a of answers) assert.match(a.endpoint, /^grpc:\/\/127\.0\.0\.1:710[12]$/);
    assert.equal(new Set(answers.map((a) => a.endpoint)).size, 2, 'both endpoints handed out');
  });

  it('places by labels and priority, and refuses labels no supervisor has, naming them', async () => {
    const domain = 'domain-labels';
    await FakeAgent.enabled(plane, domain, 'kr-low', { priority: 5, labels: { region: 'kr' } });
    const krHigh = await FakeAgent.enabled(plane, domain, 'kr-high', {
      priority: 50,
      labels: { region: 'kr', tier: 'gold' },
    });
    await FakeAgent.enabled(plane, domain, 'us-top', { priority: 99, labels: { region: 'us' } });

    const call = plane.plugins.getPluginEndpoint({
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      labels: { region: 'kr' },
      domain_id: domain,
    });
    await krHigh.waitFor((p) => p.state === 'PROVISIONING', 'instance on kr-high');
    await krHigh.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7201']);
    assert.equal((await call).endpoint, 'grpc://127.0.0.1:7201');

    await rejectsWith(
      plane.plugins.getPluginEndpoint({
        plugin_id: 'plugin-echo',
        version: '1.0.0',
        labels: { region: 'eu' },
        domain_id: domain,
      }),
      'ERROR_NO_POSSIBLE_SUPERVISOR',
      UNAVAILABLE,
    );
    const refused = await plane.plugins
      .getPluginEndpoint({
        plugin_id: 'plugin-echo',
        version: '1.0.0',
        labels: { region: 'eu' },
        domain_id: domain,
      })
      .catch((err: unknown) => err as ApiError);
    assert.match((refused as ApiError).message, /"region":"eu"/);
  });

  it('skips disabled supervisors and stops reusing an instance whose supervisor was disabled', async () => {
    const domain = 'domain-disabled';
    const first = await FakeAgent.enabled(plane, domain, 'first', { priority: 90 });
    const second = await FakeAgent.enabled(plane, domain, 'second', { priority: 10 });
    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: domain };

    const onFirst = plane.plugins.getPluginEndpoint(request);
    await first.waitFor((p) => p.state === 'PROVISIONING', 'instance on first');
    await first.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7301']);
    assert.equal((await onFirst).endpoint, 'grpc://127.0.0.1:7301');

    await plane.supervisors.disable({ supervisor_id: first.supervisorId, domain_id: domain });
    const onSecond = plane.plugins.getPluginEndpoint(request);
    await second.waitFor((p) => p.state === 'PROVISIONING', 'instance on second');
    await second.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7302']);
    assert.equal((await onSecond).endpoint, 'grpc://127.0.0.1:7302');

    await plane.supervisors.disable({ supervisor_id: second.supervisorId, domain_id: domain });
    await rejectsWith(
      plane.plugins.getPluginEndpoint(request),
      'ERROR_NO_POSSIBLE_SUPERVISOR',
      UNAVAILABLE,
    );
  });

  it('hands a warm call the ready instance of the highest priority, ACTIVE before ERROR', async () => {
    const domain = 'domain-warm-choice';
    const low = await FakeAgent.enabled(plane, domain, 'warm-low', { priority: 10 });
    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: domain };
    const onLow = plane.plugins.getPluginEndpoint(request);
    await low.waitFor((p) => p.state === 'PROVISIONING', 'instance on warm-low');
    await low.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7351']);
    assert.equal((await onLow).endpoint, 'grpc://127.0.0.1:7351');

    const high = await FakeAgent.enabled(plane, domain, 'warm-high', {
      priority: 90,
      labels: { tier: 'gold' },
    });
    const onHigh = plane.plugins.getPluginEndpoint({ ...request, labels: { tier: 'gold' } });
    await high.waitFor((p) => p.state === 'PROVISIONING', 'instance on warm-high');
    await high.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7352']);
    assert.equal((await onHigh).endpoint, 'grpc://127.0.0.1:7352');

    assert.equal(
      (await plane.plugins.getPluginEndpoint(request)).endpoint,
      'grpc://127.0.0.1:7352',
      'without labels both qualify: the higher priority wins',
    );
    await high.report('1.0.0', 'ERROR', []);
    assert.equal(
      (await plane.plugins.getPluginEndpoint(request)).endpoint,
      'grpc://127.0.0.1:7351',
      'an ACTIVE instance ranks before an ERROR one',
    );
  });

  it('rotates round-robin over three endpoints and survives the list shrinking to one', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-rr', 'host-rr');
    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: 'domain-rr' };
    const three = ['grpc://127.0.0.1:7401', 'grpc://127.0.0.1:7402', 'grpc://127.0.0.1:7403'];

    const first = plane.plugins.getPluginEndpoint(request);
    await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    await agent.report('1.0.0', 'ACTIVE', three);
    const handedOut = [(await first).endpoint];
    for (let i = 0; i < 5; i++) {
      handedOut.push((await plane.plugins.getPluginEndpoint(request)).endpoint);
    }
    for (const window of [handedOut.slice(0, 3), handedOut.slice(3, 6)]) {
      assert.deepEqual([...window].sort(), three, `each endpoint once per three calls: ${window}`);
    }
    assert.deepEqual(handedOut.slice(3), handedOut.slice(0, 3), 'the same rotation repeats');

    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7402']);
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await plane.plugins.getPluginEndpoint(request)).endpoint,
        'grpc://127.0.0.1:7402',
      );
    }
  });

  it('moves states with notify_failure and recover_plugin, and recovers an ERROR instance on request', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-fail', 'host-fail');
    const request = { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: 'domain-fail' };
    const key = {
      supervisor_id: agent.supervisorId,
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      domain_id: 'domain-fail',
    };
    const first = plane.plugins.getPluginEndpoint(request);
    await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7501']);
    await first;

    await plane.plugins.notifyFailure(key);
    const failed = (await agent.desired())[0];
    assert.equal(failed?.state, 'ERROR');
    assert.match(failed?.error_message ?? '', /notify_failure/);

    const recovered = await plane.supervisors.recoverPlugin(key);
    assert.equal(recovered.state, 'RE_PROVISIONING');
    assert.equal((await agent.desired())[0]?.state, 'RE_PROVISIONING');

    const waiting = track(plane.plugins.getPluginEndpoint(request));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(waiting.settled(), false, 'no endpoint while RE_PROVISIONING');
    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7502']);
    assert.equal((await waiting.promise).endpoint, 'grpc://127.0.0.1:7502');

    await plane.plugins.notifyFailure(key);
    const again = track(plane.plugins.getPluginEndpoint(request));
    await agent.waitFor((p) => p.state === 'RE_PROVISIONING', 'recovery requested by the call');
    assert.equal(again.settled(), false, 'an ERROR instance never hands out its endpoint');
    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7503']);
    assert.equal((await again.promise).endpoint, 'grpc://127.0.0.1:7503');

    await rejectsWith(
      plane.plugins.notifyFailure({ ...key, domain_id: 'domain-other' }),
      'ERROR_NOT_FOUND',
      NOT_FOUND,
    );
  });

  it('resolves versions from the catalog: AUTO to the newest release, MANUAL needs a known one', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-auto', 'host-auto');
    const auto = plane.plugins.getPluginEndpoint({
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      upgrade_mode: 'AUTO',
      domain_id: 'domain-auto',
    });
    const desired = await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    assert.equal(desired.version, '1.1.0');
    await agent.report('1.1.0', 'ACTIVE', ['grpc://127.0.0.1:7601']);
    assert.equal((await auto).updated_version, '1.1.0');

    const base = { plugin_id: 'plugin-echo', domain_id: 'domain-auto' };
    await rejectsWith(
      plane.plugins.getPluginEndpoint(base),
      'ERROR_REQUIRED_PARAMETER',
      INVALID_ARGUMENT,
    );
    await rejectsWith(
      plane.plugins.getPluginEndpoint({ ...base, plugin_id: 'plugin-nope', version: '1.0.0' }),
      'ERROR_PLUGIN_NOT_FOUND',
      NOT_FOUND,
    );
    await rejectsWith(
      plane.plugins.getPluginEndpoint({ ...base, version: '9.9.9' }),
      'ERROR_INVALID_PLUGIN_VERSION',
      INVALID_ARGUMENT,
    );
    await rejectsWith(
      plane.plugins.getPluginEndpoint({ version: '1.0.0', domain_id: 'domain-auto' }),
      'ERROR_REQUIRED_PARAMETER',
      INVALID_ARGUMENT,
    );
  });

  it('lets another domain share an instance on a public supervisor and see it in its own list', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-owner', 'host-public', {
      is_public: true,
    });
    const first = plane.plugins.getPluginEndpoint({
      plugin_id: 'plugin-echo',
      version: '1.0.0',
      domain_id: 'domain-guest',
      labels: {},
    });
    await agent.waitFor((p) => p.state === 'PROVISIONING', 'PROVISIONING');
    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7701']);
    assert.equal((await first).endpoint, 'grpc://127.0.0.1:7701');

    const guestView = await plane.supervisors.listPlugins({
      supervisor_id: agent.supervisorId,
      domain_id: 'domain-guest',
    });
    assert.equal(guestView.results.length, 1);
    assert.equal(guestView.results[0]?.domain_id, 'domain-guest');
  });
});

describe('get_plugin_endpoint timeout over gRPC', () => {
  let plane: Plane;
  before(async () => {
    plane = await startPlane({ installTimeoutMs: 400 });
  });
  after(() => plane.close());

  it('answers DEADLINE_EXCEEDED and marks the instance ERROR with the reason', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-slow', 'host-slow');
    const started = Date.now();
    await rejectsWith(
      plane.plugins.getPluginEndpoint({
        plugin_id: 'plugin-echo',
        version: '1.0.0',
        domain_id: 'domain-slow',
      }),
      'ERROR_INSTALL_PLUGIN_TIMEOUT',
      DEADLINE_EXCEEDED,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 380 && elapsed < 3000, `waited ${elapsed} ms for a 400 ms timeout`);

    const [failed] = await agent.desired();
    assert.equal(failed?.state, 'ERROR');
    assert.match(failed?.error_message ?? '', /did not become ACTIVE within 0\.4s/);
    assert.equal(plane.services.plugins.waitingCalls, 0);
  });

  it('stops waiting when the client gives up first', async () => {
    await FakeAgent.enabled(plane, 'domain-gone', 'host-gone');
    await assert.rejects(
      plane.plugins.getPluginEndpoint(
        { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: 'domain-gone' },
        { timeoutMs: 100 },
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(plane.services.plugins.waitingCalls, 0);
  });
});

describe('cleanup of unused instances', () => {
  const clock = new ManualClock();
  let plane: Plane;
  before(async () => {
    plane = await startPlane({ installTimeoutMs: 10_000, clock });
  });
  after(() => plane.close());

  const DAY = 24 * 60 * 60 * 1000;

  it('removes instances unused for three days, ERROR ones too, once, and keeps used ones', async () => {
    const agent = await FakeAgent.enabled(plane, 'domain-clean', 'host-clean');
    const base = { plugin_id: 'plugin-echo', domain_id: 'domain-clean' };
    const desiredChanges: string[] = [];
    plane.services.events.onDesiredChanged(agent.supervisorId, () => desiredChanges.push('x'));

    const used = plane.plugins.getPluginEndpoint({ ...base, version: '1.0.0' });
    await agent.waitFor((p) => p.version === '1.0.0', '1.0.0');
    await agent.report('1.0.0', 'ACTIVE', ['grpc://127.0.0.1:7801']);
    await used;
    const idle = plane.plugins.getPluginEndpoint({ ...base, version: '1.1.0' });
    await agent.waitFor((p) => p.version === '1.1.0', '1.1.0');
    await agent.report('1.1.0', 'ACTIVE', ['grpc://127.0.0.1:7802']);
    await idle;
    await plane.plugins.notifyFailure({
      ...base,
      version: '1.1.0',
      supervisor_id: agent.supervisorId,
    });

    clock.advance(2 * DAY);
    assert.deepEqual(
      await plane.services.cleanup.runOnce(),
      [],
      'nothing is three days unused yet',
    );
    await plane.plugins.getPluginEndpoint({ ...base, version: '1.0.0' });

    clock.advance(DAY + 1);
    const before = desiredChanges.length;
    const [a, b] = await Promise.all([
      plane.services.cleanup.runOnce(),
      plane.services.cleanup.runOnce(),
    ]);
    const deleted = [...(a ?? []), ...(b ?? [])];
    assert.deepEqual(
      deleted.map((k) => k.version),
      ['1.1.0'],
      'the ERROR instance unused for three days goes, exactly once across two runs',
    );
    assert.ok(desiredChanges.length > before, 'the agent is told to look again');

    const remaining = await agent.desired();
    assert.deepEqual(
      remaining.map((p) => p.version),
      ['1.0.0'],
    );
    const leftovers = await plane.store.db
      .selectFrom('installed_plugin_domains')
      .select('version')
      .where('version', '=', '1.1.0')
      .execute();
    assert.equal(leftovers.length, 0);

    clock.advance(3 * DAY + 1);
    assert.equal((await plane.services.cleanup.runOnce()).length, 1);
    assert.deepEqual(await agent.desired(), []);
    assert.deepEqual(await plane.services.cleanup.runOnce(), [], 'idempotent');
  });
});
