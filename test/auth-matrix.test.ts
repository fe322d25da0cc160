import assert from 'node:assert/strict';
import {
  Client,
  credentials,
  Metadata,
  status as grpcStatus,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { API_METHODS } from '../src/auth/policy.js';
import { messageToJson } from '../src/transport/proto-json.js';
import { loadProtos } from '../src/transport/protos.js';
import {
  AgentChannelClient,
  ApiError,
  PluginClient,
  SupervisorClient,
} from '../src/transport/client/index.js';
import {
  DOMAIN_A,
  DOMAIN_B,
  insertSupervisor,
  keyMaterial,
  PRINCIPALS,
  snapshot,
  startAuthFixture,
  type AuthFixture,
  type Principal,
} from './auth-fixture.js';

/**
 * The generated access matrix of issue #6: every Supervisor method × both transports × every kind
 * of caller → the expected outcome, on a real control plane. Each cell gets a fresh target
 * supervisor named S in domain A, so cells are independent; every cell that is not allowed must
 * leave its target exactly as it was. Then: no leak through list totals, stat or keyword; the
 * takeover attempt; and a search of every log line for tokens, secrets and key material.
 */

type Outcome =
  'OK' | 'EMPTY' | 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAUTHENTICATED' | 'UNAVAILABLE';
type Transport = 'grpc' | 'rest';

const METHODS = [
  'publish',
  'register',
  'update',
  'deregister',
  'enable',
  'disable',
  'recover_plugin',
  'get',
  'list',
  'stat',
  'list_plugins',
  'get_plugin_endpoint',
  'notify_failure',
] as const;
type Method = (typeof METHODS)[number];

describe('the matrix itself', () => {
  it('covers every unary method the access policy knows (watch has its own suite)', () => {
    assert.deepEqual([...METHODS].sort(), API_METHODS.filter((m) => m !== 'watch').sort());
  });
});

/** The rule under test, written out once. */
function expected(method: Method, who: Principal): Outcome {
  if (who === 'noToken' || who === 'expired' || who === 'otherKey' || who === 'algNone') {
    return 'UNAUTHENTICATED';
  }
  if (who === 'system' || who === 'adminA') return 'OK';
  if (who === 'agentS') {
    return method === 'publish' || method === 'list_plugins' ? 'OK' : 'PERMISSION_DENIED';
  }
  if (who === 'agentT') return method === 'list_plugins' ? 'EMPTY' : 'PERMISSION_DENIED';
  // adminB acts in domain B, where the target does not exist; its publish creates B's own.
  if (method === 'publish') return 'OK';
  if (method === 'list' || method === 'stat' || method === 'list_plugins') return 'EMPTY';
  // Domain A's instance is not handed to B; B's only supervisor is DISABLED, so nothing can run.
  if (method === 'get_plugin_endpoint') return 'UNAVAILABLE';
  return 'NOT_FOUND';
}

/** The state a cell's target starts in, so that each allowed action can succeed. */
function targetState(method: Method): 'PENDING' | 'ENABLED' | 'DISABLED' {
  if (method === 'register') return 'PENDING';
  if (method === 'enable') return 'DISABLED';
  return 'ENABLED';
}

function requestFor(
  method: Method,
  target: { supervisor_id: string; hostname: string },
  secret: string,
): Record<string, unknown> {
  const key = { supervisor_id: target.supervisor_id, domain_id: DOMAIN_A };
  switch (method) {
    case 'publish':
      return { name: 'S', hostname: target.hostname, secret_key: secret, domain_id: DOMAIN_A };
    case 'update':
      return { ...key, priority: 7 };
    case 'recover_plugin':
    case 'notify_failure':
      return { ...key, plugin_id: 'plugin-echo', version: '1.0.0' };
    case 'get_plugin_endpoint':
      return { plugin_id: 'plugin-echo', version: '1.0.0', domain_id: DOMAIN_A };
    case 'list':
      return { domain_id: DOMAIN_A, query: { keyword: target.hostname } };
    case 'stat':
      return {
        domain_id: DOMAIN_A,
        query: {
          filter: [{ k: 'hostname', v: target.hostname, o: 'eq' }],
          aggregate: [{ group: { keys: [{ k: 'supervisor_id', n: 'id' }] } }],
        },
      };
    default:
      return key;
  }
}

/** REST route of each method: verb and path (the body carries the rest). */
function restRoute(method: Method, id: string): [string, string] {
  const routes: Record<Method, [string, string]> = {
    publish: ['POST', '/plugin/v1/supervisors'],
    register: ['POST', `/plugin/v1/supervisor/${id}/register`],
    update: ['PUT', `/plugin/v1/supervisor/${id}`],
    deregister: ['DELETE', `/plugin/v1/supervisor/${id}/register`],
    enable: ['PUT', `/plugin/v1/supervisor/${id}/enable`],
    disable: ['PUT', `/plugin/v1/supervisor/${id}/disable`],
    recover_plugin: ['POST', `/plugin/v1/supervisor/${id}/plugin/plugin-echo/recover`],
    get: ['POST', '/unused'],
    list: ['POST', '/plugin/v1/supervisors/search'],
    stat: ['POST', '/plugin/v1/supervisors/stat'],
    list_plugins: ['POST', `/plugin/v1/supervisor/${id}/plugins/search`],
    get_plugin_endpoint: ['POST', '/plugin/v1/plugin/plugin-echo/get-endpoint'],
    notify_failure: ['PUT', '/plugin/v1/plugin/plugin-echo/notify-failure'],
  };
  return routes[method];
}

interface Answer {
  ok: boolean;
  /** gRPC status name or HTTP status number as text. */
  status: string;
  code?: string;
  message?: string;
  body?: Record<string, unknown>;
}

const GRPC_STATUS: Record<number, string> = {
  14: 'UNAVAILABLE',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  16: 'UNAUTHENTICATED',
};
const HTTP_STATUS: Record<number, string> = {
  503: 'UNAVAILABLE',
  404: 'NOT_FOUND',
  403: 'PERMISSION_DENIED',
  401: 'UNAUTHENTICATED',
};

async function callGrpc(
  f: AuthFixture,
  token: string | undefined,
  method: Method,
  request: Record<string, unknown>,
): Promise<Answer> {
  const options = token === undefined ? {} : { token };
  const client =
    method === 'get_plugin_endpoint' || method === 'notify_failure'
      ? new PluginClient(f.plane.grpcAddress, options)
      : new SupervisorClient(f.plane.grpcAddress, options);
  try {
    const body =
      client instanceof PluginClient
        ? method === 'notify_failure'
          ? await client.notifyFailure(request).then(() => ({}))
          : ((await client.getPluginEndpoint(request, { timeoutMs: 10_000 })) as unknown as Record<
              string,
              unknown
            >)
        : await client.call(method, request);
    return { ok: true, status: 'OK', body };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return {
      ok: false,
      status: GRPC_STATUS[err.grpcStatus] ?? `grpc ${err.grpcStatus}`,
      code: err.code,
      message: err.message,
    };
  } finally {
    client.close();
  }
}

async function callRest(
  f: AuthFixture,
  token: string | undefined,
  method: Method,
  request: Record<string, unknown>,
): Promise<Answer> {
  const id = String(request.supervisor_id ?? '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let response: Response;
  if (method === 'get') {
    response = await fetch(
      `http://${f.plane.httpAddress}/plugin/v1/supervisor/${id}?domain_id=${DOMAIN_A}`,
      { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } },
    );
  } else {
    const [verb, path] = restRoute(method, id);
    // Path parameters travel in the path; the body carries the other fields.
    const body = { ...request };
    if (!['publish', 'list', 'stat', 'notify_failure'].includes(method)) delete body.supervisor_id;
    if (method === 'get_plugin_endpoint' || method === 'notify_failure') delete body.plugin_id;
    response = await fetch(`http://${f.plane.httpAddress}${path}`, {
      method: verb,
      headers,
      body: JSON.stringify(body),
    });
  }
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status === 200) return { ok: true, status: 'OK', body: json };
  return {
    ok: false,
    status: HTTP_STATUS[response.status] ?? `http ${response.status}`,
    code: String(json.code),
    message: String(json.message),
  };
}

function call(
  f: AuthFixture,
  transport: Transport,
  who: Principal,
  method: Method,
  request: Record<string, unknown>,
): Promise<Answer> {
  return transport === 'grpc'
    ? callGrpc(f, f.tokens[who], method, request)
    : callRest(f, f.tokens[who], method, request);
}

/** Reads an allowed answer as OK (the target is in it) or EMPTY (nothing of domain A is). */
function classify(method: Method, answer: Answer, targetId: string): Outcome {
  const body = answer.body ?? {};
  if (method === 'list' || method === 'list_plugins') {
    const results = (body.results ?? []) as Record<string, unknown>[];
    const total = Number(body.total_count ?? 0);
    assert.equal(total, results.length, 'total_count must count exactly what the caller may see');
    if (total === 0) return 'EMPTY';
    assert.ok(
      results.every((r) => r.supervisor_id === targetId),
      'results hold only the target',
    );
    return 'OK';
  }
  if (method === 'get_plugin_endpoint') {
    assert.equal(body.endpoint, 'grpc://127.0.0.1:1');
    return 'OK';
  }
  if (method === 'stat') {
    const results = (body.results ?? []) as Record<string, unknown>[];
    if (results.length === 0) return 'EMPTY';
    assert.deepEqual(results, [{ id: targetId }]);
    return 'OK';
  }
  return 'OK';
}

let f: AuthFixture;
before(async () => {
  f = await startAuthFixture();
  // Domain B has a supervisor of its own, so that an empty answer is not trivially empty.
  // DISABLED, so that no plugin can be placed for domain B.
  await insertSupervisor(f, {
    domainId: DOMAIN_B,
    name: 'B1',
    state: 'DISABLED',
    withPlugin: true,
  });
});
after(() => f.close());

for (const transport of ['grpc', 'rest'] as const) {
  describe(`access matrix over ${transport}`, () => {
    for (const method of METHODS) {
      for (const who of PRINCIPALS) {
        const want = expected(method, who);
        it(`${method} by ${who} is ${want}`, async () => {
          const target = await insertSupervisor(f, {
            domainId: DOMAIN_A,
            name: 'S',
            state: targetState(method),
            withPlugin: method !== 'deregister',
          });
          const before = await snapshot(f, target.supervisor_id);
          const answer = await call(
            f,
            transport,
            who,
            method,
            requestFor(method, target, f.secret),
          );

          const got = answer.ok ? classify(method, answer, target.supervisor_id) : answer.status;
          assert.equal(got, want, `${answer.code ?? ''} ${answer.message ?? ''}`);
          if (want !== 'OK')
            assert.equal(await snapshot(f, target.supervisor_id), before, 'target changed');
          if (!answer.ok) await assertNoLeakInError(transport, who, method, answer, target);
          if (method === 'publish' && who === 'adminB') {
            assert.equal(answer.body?.domain_id, DOMAIN_B);
            assert.notEqual(answer.body?.supervisor_id, target.supervisor_id);
          }
        });
      }
    }
  });
}

/**
 * An error names nothing the caller did not send: no token, no secret, no other domain. A
 * NOT_FOUND for another domain's supervisor reads exactly like one for an id that exists nowhere.
 */
async function assertNoLeakInError(
  transport: Transport,
  who: Principal,
  method: Method,
  answer: Answer,
  target: { supervisor_id: string; hostname: string },
): Promise<void> {
  const message = answer.message ?? '';
  for (const token of Object.values(f.tokens)) {
    if (token !== undefined)
      assert.ok(!message.includes(token.split('.')[1] ?? token), 'token in message');
  }
  assert.ok(!message.includes(f.secret) && !message.includes(f.secretHash), 'secret in message');
  assert.ok(!message.includes(DOMAIN_A) && !message.includes(target.hostname), `leak: ${message}`);

  if (answer.status === 'NOT_FOUND') {
    const ghost = { supervisor_id: 'supervisor-0fffffffffff', hostname: target.hostname };
    const ghostAnswer = await call(f, transport, who, method, requestFor(method, ghost, f.secret));
    assert.equal(ghostAnswer.status, 'NOT_FOUND');
    assert.equal(
      message.replaceAll(target.supervisor_id, 'ID'),
      (ghostAnswer.message ?? '').replaceAll(ghost.supervisor_id, 'ID'),
    );
  }
}

describe('the agent channel (watch)', () => {
  const want: Record<Principal, string> = {
    system: 'OK',
    adminA: 'OK',
    agentS: 'OK',
    adminB: 'ERROR_NOT_FOUND',
    agentT: 'ERROR_NOT_FOUND',
    noToken: 'ERROR_AUTHENTICATE_FAILURE',
    expired: 'ERROR_AUTHENTICATE_FAILURE',
    otherKey: 'ERROR_AUTHENTICATE_FAILURE',
    algNone: 'ERROR_AUTHENTICATE_FAILURE',
  };
  for (const who of PRINCIPALS) {
    it(`watch of supervisor S by ${who} is ${want[who]}`, async () => {
      const target = await insertSupervisor(f, { domainId: DOMAIN_A, name: 'S', state: 'ENABLED' });
      const token = f.tokens[who];
      const client = new AgentChannelClient(
        f.plane.grpcAddress,
        token === undefined ? {} : { token },
      );
      const stream = client.watch(
        { supervisor_id: target.supervisor_id, domain_id: DOMAIN_A },
        () => {},
      );
      try {
        const got = await stream.opened.then(
          () => 'OK',
          (err: unknown) => (err instanceof ApiError ? err.code : String(err)),
        );
        assert.equal(got, want[who]);
      } finally {
        stream.close();
        client.close();
      }
    });
  }
});

describe('no leak across domains', () => {
  it('shows domain B nothing of domain A through list totals, keyword, filters or stat', async () => {
    const a = await insertSupervisor(f, {
      domainId: DOMAIN_A,
      name: 'S',
      state: 'ENABLED',
      withPlugin: true,
    });
    for (const transport of ['grpc', 'rest'] as const) {
      const all = await call(f, transport, 'adminB', 'list', { domain_id: DOMAIN_A });
      const results = (all.body?.results ?? []) as Record<string, unknown>[];
      assert.ok(results.length > 0);
      assert.ok(
        results.every((r) => r.domain_id === DOMAIN_B),
        'only B rows',
      );
      assert.equal(all.body?.total_count, results.length);

      const byFilter = await call(f, transport, 'adminB', 'list', {
        domain_id: DOMAIN_A,
        query: { filter: [{ k: 'supervisor_id', v: a.supervisor_id, o: 'eq' }] },
      });
      assert.equal(byFilter.body?.total_count, 0);
      const countOnly = await call(f, transport, 'adminB', 'list', {
        domain_id: DOMAIN_A,
        query: { keyword: `${a.supervisor_id} ${a.hostname}`, count_only: true },
      });
      assert.equal(countOnly.body?.total_count, 0);
      const plugins = await call(f, transport, 'adminB', 'list_plugins', {
        domain_id: DOMAIN_A,
        query: { keyword: a.supervisor_id },
      });
      assert.equal(plugins.body?.total_count, 0);

      const stat = await call(f, transport, 'adminB', 'stat', {
        domain_id: DOMAIN_A,
        query: {
          aggregate: [
            { group: { keys: [{ k: 'domain_id', n: 'd' }], fields: [{ n: 'n', o: 'count' }] } },
          ],
        },
      });
      assert.ok(stat.ok, stat.message);
      assert.deepEqual(
        ((stat.body?.results ?? []) as Record<string, unknown>[]).map((r) => r.d),
        [DOMAIN_B],
      );
    }
  });

  it('lists for an agent only the installed plugins of its own supervisor, whatever it asks for', async () => {
    const mine = await insertSupervisor(f, {
      domainId: DOMAIN_A,
      name: 'S',
      state: 'ENABLED',
      withPlugin: true,
    });
    const other = await insertSupervisor(f, {
      domainId: DOMAIN_A,
      name: 'T',
      state: 'ENABLED',
      withPlugin: true,
    });
    for (const transport of ['grpc', 'rest'] as const) {
      const all = await call(f, transport, 'agentS', 'list_plugins', { domain_id: DOMAIN_B });
      const results = (all.body?.results ?? []) as Record<string, unknown>[];
      assert.ok(results.some((r) => r.supervisor_id === mine.supervisor_id));
      assert.ok(results.every((r) => r.supervisor_name === 'S' && r.domain_id === DOMAIN_A));
      assert.equal(all.body?.total_count, results.length);

      const foreign = await call(f, transport, 'agentS', 'list_plugins', {
        supervisor_id: other.supervisor_id,
        domain_id: DOMAIN_A,
      });
      assert.equal(foreign.body?.total_count, 0);
    }
  });

  it('lets a domain admin see but not manage its own supervisor once the system role made it public', async () => {
    const pub = await insertSupervisor(f, {
      domainId: DOMAIN_A,
      name: 'P',
      state: 'ENABLED',
      isPublic: true,
      withPlugin: true,
    });
    const got = await call(f, 'grpc', 'adminA', 'get', {
      supervisor_id: pub.supervisor_id,
      domain_id: DOMAIN_A,
    });
    assert.equal(got.ok, true);
    for (const method of ['disable', 'update', 'deregister', 'recover_plugin'] as const) {
      const answer = await call(f, 'rest', 'adminA', method, requestFor(method, pub, f.secret));
      assert.equal(answer.status, 'PERMISSION_DENIED', method);
    }
    const bySystem = await call(f, 'grpc', 'system', 'disable', {
      supervisor_id: pub.supervisor_id,
      domain_id: DOMAIN_A,
    });
    assert.equal(bySystem.body?.state, 'DISABLED');
  });

  it('refuses is_public from a domain admin and accepts it from the system role', async () => {
    const own = await insertSupervisor(f, { domainId: DOMAIN_A, name: 'S', state: 'ENABLED' });
    const denied = await call(f, 'rest', 'adminA', 'update', {
      supervisor_id: own.supervisor_id,
      domain_id: DOMAIN_A,
      is_public: true,
    });
    assert.equal(denied.status, 'PERMISSION_DENIED');
    const fresh = await call(f, 'grpc', 'adminA', 'publish', {
      name: 'N',
      hostname: 'new-host.example',
      domain_id: DOMAIN_A,
      is_public: true,
    });
    assert.equal(fresh.status, 'PERMISSION_DENIED');
    const allowed = await call(f, 'grpc', 'system', 'update', {
      supervisor_id: own.supervisor_id,
      domain_id: DOMAIN_A,
      is_public: true,
    });
    assert.equal(allowed.body?.is_public, true);
  });

  it('lets the system role target a domain with x_domain_id / x-domain-id', async () => {
    const own = await insertSupervisor(f, { domainId: DOMAIN_B, name: 'X', state: 'ENABLED' });
    const response = await fetch(
      `http://${f.plane.httpAddress}/plugin/v1/supervisor/${own.supervisor_id}`,
      {
        headers: { authorization: `Bearer ${f.tokens.system ?? ''}`, 'x-domain-id': DOMAIN_B },
      },
    );
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as Record<string, unknown>).domain_id, DOMAIN_B);

    // gRPC: metadata x_domain_id, no domain_id in the body.
    const answer = await grpcGetWithMetadata(own.supervisor_id, {
      token: f.tokens.system ?? '',
      x_domain_id: DOMAIN_B,
    });
    assert.equal(answer.domain_id, DOMAIN_B);
    // A domain admin's x_domain_id is ignored: it stays in its own domain.
    await assert.rejects(
      grpcGetWithMetadata(own.supervisor_id, {
        token: f.tokens.adminA ?? '',
        x_domain_id: DOMAIN_B,
      }),
      (err: ServiceError) => err.code === grpcStatus.NOT_FOUND,
    );
  });
});

/** `get` over raw gRPC with the given metadata and a body without domain_id. */
function grpcGetWithMetadata(
  supervisorId: string,
  entries: Record<string, string>,
): Promise<Record<string, unknown>> {
  const defs = loadProtos('client');
  const method = (
    defs['spaceone.api.plugin.v1.Supervisor'] as Record<string, MethodDefinition<object, object>>
  )['get'];
  if (method === undefined) throw new Error('no get method');
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  const client = new Client(f.plane.grpcAddress, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { supervisor_id: supervisorId },
      metadata,
      (err: ServiceError | null, value?: object) => {
        client.close();
        if (err !== null) reject(err);
        else resolve(messageToJson(defs, 'spaceone.api.plugin.v1.SupervisorInfo', value ?? {}));
      },
    );
  });
}

describe('malformed credentials', () => {
  it('answers 401 / UNAUTHENTICATED with a coded error for every malformed credential', async () => {
    const headers = [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer a b',
      'Bearer not.a.jwt',
      `Bearer ${'x'.repeat(4000)}`,
      `bearer ${f.tokens.system ?? ''}x`,
    ];
    for (const authorization of headers) {
      const response = await fetch(`http://${f.plane.httpAddress}/plugin/v1/supervisors/search`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ domain_id: DOMAIN_A }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 401, authorization.slice(0, 40));
      assert.equal(body.code, 'ERROR_AUTHENTICATE_FAILURE');
      assert.ok(
        !String(body.message).includes(authorization.slice(7, 40)) || authorization.length < 12,
      );
    }
    for (const token of ['garbage', 'a.b.c', `${f.tokens.adminA ?? ''}tampered`]) {
      const client = new SupervisorClient(f.plane.grpcAddress, { token });
      await assert.rejects(
        client.list({ domain_id: DOMAIN_A }),
        (err: unknown) => err instanceof ApiError && err.grpcStatus === grpcStatus.UNAUTHENTICATED,
      );
      client.close();
    }
  });
});

describe('takeover attempt', () => {
  it('refuses a second agent publishing the same hostname with a wrong or missing secret, changing nothing', async () => {
    const target = await insertSupervisor(f, {
      domainId: DOMAIN_A,
      name: 'S',
      state: 'ENABLED',
      withPlugin: true,
    });
    const before = await snapshot(f, target.supervisor_id);
    const attempts: Record<string, unknown>[] = [
      { secret_key: 'guessed-secret' },
      {},
      { secret_key: '' },
      {
        secret_key: 'guessed-secret',
        labels: { zone: 'evil' },
        plugin_info: [
          { plugin_id: 'plugin-echo', version: '1.0.0', state: 'ERROR', endpoint: 'grpc://evil:1' },
        ],
      },
    ];
    for (const transport of ['grpc', 'rest'] as const) {
      for (const who of ['agentS', 'adminA', 'system'] as const) {
        for (const extra of attempts) {
          const answer = await call(f, transport, who, 'publish', {
            name: 'S',
            hostname: target.hostname,
            domain_id: DOMAIN_A,
            ...extra,
          });
          assert.equal(
            answer.status,
            'PERMISSION_DENIED',
            `${transport} ${who} ${JSON.stringify(extra)}`,
          );
          assert.equal(answer.code, 'ERROR_PERMISSION_DENIED');
        }
      }
    }
    assert.equal(await snapshot(f, target.supervisor_id), before);

    const genuine = await call(f, 'grpc', 'agentS', 'publish', {
      name: 'S',
      hostname: target.hostname,
      domain_id: DOMAIN_A,
      secret_key: f.secret,
    });
    assert.equal(genuine.body?.supervisor_id, target.supervisor_id);
  });
});

describe('logs of the whole scenario', () => {
  it('contain no token, secret or key material', async () => {
    const text = f.logs.join('');
    assert.ok(f.logs.length > 100, `only ${f.logs.length} log lines captured`);
    for (const [who, token] of Object.entries(f.tokens)) {
      if (token === undefined) continue;
      for (const part of token.split('.').filter((p) => p.length > 8)) {
        assert.ok(!text.includes(part), `a part of ${who}'s token is in the logs`);
      }
    }
    assert.ok(!text.includes(f.secret), 'the secret is in the logs');
    assert.ok(
      !text.includes(f.secretHash.split('$').at(-1) ?? f.secretHash),
      'the secret hash is in the logs',
    );
    for (const material of await keyMaterial(f)) {
      assert.ok(!text.includes(material), 'key material is in the logs');
    }
  });
});
