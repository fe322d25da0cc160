import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { startTestControlPlane, type TestControlPlane } from './support/control-plane.js';

// Sends thousands of generated malformed requests over both transports. A fixed seed makes every
// run send the same requests; set PLUGVISOR_FUZZ_SEED to explore others.

const SEED = Number(process.env['PLUGVISOR_FUZZ_SEED'] ?? 20261203);
const REST_REQUESTS = 800;
const GRPC_REQUESTS = 600;
const DOMAIN = 'domain-fuzz';
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
];

/** mulberry32: a small, seedable PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  text(): string {
    return this.pick([
      '',
      ' ',
      'x'.repeat(this.pick([1, 256, 5000, 200_000])),
      'Überwachung-ß-日本',
      '../../etc/passwd',
      "'; DROP TABLE supervisors; --",
      '\u0000\uffff',
      '\ud800',
      'supervisor-000000000000',
      `supervisor-${'f'.repeat(12)}`,
    ]);
  }
  value(depth = 0): unknown {
    const kinds = depth > 3 ? 4 : 7;
    switch (this.int(kinds)) {
      case 0:
        return this.text();
      case 1:
        return this.pick([0, -1, 1.5, 1e308, -2147483649, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
      case 2:
        return this.pick([true, false]);
      case 3:
        return null;
      case 4:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      default:
        return this.object(depth + 1);
    }
  }
  object(depth = 0): Record<string, unknown> {
    const keys = [
      'name',
      'hostname',
      'secret_key',
      'plugin_info',
      'tags',
      'labels',
      'is_public',
      'priority',
      'domain_id',
      'supervisor_id',
      'plugin_id',
      'version',
      'only',
      'query',
      'state',
      'endpoint',
      '__proto__',
      'constructor',
      'filter',
      'k',
      'v',
      'o',
      'page',
      'sort',
      'aggregate',
    ];
    const out: Record<string, unknown> = {};
    for (let i = this.int(6); i > 0; i--) {
      Object.defineProperty(out, this.pick(keys), {
        value: this.value(depth),
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    return out;
  }
  /** A request with one certain defect in a known field, or a wholly random one. */
  malformedRequest(): Record<string, unknown> {
    const base: Record<string, unknown> = {
      name: 'fuzz',
      hostname: `fuzz-${this.int(5)}`,
      domain_id: DOMAIN,
    };
    const defects: Record<string, unknown>[] = [
      { name: this.pick([1, {}, [], true]) },
      { hostname: '' },
      { hostname: 'h'.repeat(300) },
      { domain_id: this.pick([5, [], {}]) },
      { tags: this.pick(['x', [1], 3]) },
      { labels: this.pick(['x', [1], false]) },
      {
        plugin_info: this.pick([
          'x',
          [1],
          [{ plugin_id: 1 }],
          [{ plugin_id: 'p' }],
          [{ plugin_id: 'p', version: '1', state: 'BOGUS' }],
        ]),
      },
      { is_public: this.pick(['yes', 1, {}]) },
      { priority: this.pick([1.5, 'high', 2 ** 40]) },
      { only: this.pick(['name', [1], ['secret_hash']]) },
      {
        query: this.pick([
          'x',
          [],
          { filter: 'x' },
          { filter: [{ k: 5 }] },
          { filter: [{ k: 'name', o: 'nope' }] },
          { filter: [{ k: 'name', v: [1], o: 'eq' }] },
          { filter: [{ k: 'name', v: 'x', o: 'in' }] },
          { page: { start: -1 } },
          { page: { limit: 1e9 } },
          { sort: { key: 'secret_hash' } },
          { only: 'x' },
          { keyword: 5 },
          { count_only: 'yes' },
          { filter: [{ k: 'tags', v: { a: 1 } }] },
          { aggregate: 'x' },
        ]),
      },
      { supervisor_id: this.pick(['', 7, 'supervisor-000000000000']), domain_id: DOMAIN },
    ];
    if (this.chance(0.2)) return this.object();
    return { ...base, ...this.pick(defects), ...(this.chance(0.3) ? this.object() : {}) };
  }
}

interface Snapshot {
  rows: string;
}

describe('malformed requests', () => {
  let t: TestControlPlane;
  let raw: Client;
  let snapshot: Snapshot;
  const gen = new Gen(prng(SEED));
  const paths: string[] = [];

  const dump = async (): Promise<Snapshot> => {
    const db = t.plane.services.store.db;
    const supervisors = await db
      .selectFrom('supervisors')
      .selectAll()
      .orderBy('supervisor_id')
      .execute();
    const plugins = await db
      .selectFrom('installed_plugins')
      .selectAll()
      .orderBy('plugin_id')
      .execute();
    return { rows: JSON.stringify([supervisors, plugins]) };
  };

  /** A refused request must leave the store as it was; an accepted one moves the baseline. */
  const checkStore = async (accepted: boolean, what: string): Promise<void> => {
    const now = await dump();
    if (!accepted)
      assert.equal(now.rows, snapshot.rows, `a refused request changed the store: ${what}`);
    snapshot = now;
  };

  before(async () => {
    t = await startTestControlPlane();
    raw = new Client(t.plane.grpcAddress, credentials.createInsecure());
    const s = await t.client.publish({
      name: 'fuzz-target',
      hostname: 'fuzz-target',
      domain_id: DOMAIN,
    });
    const id = s.supervisor_id;
    paths.push(
      '/plugin/v1/supervisors',
      `/plugin/v1/supervisor/${id}/register`,
      `/plugin/v1/supervisor/${id}`,
      `/plugin/v1/supervisor/${id}/enable`,
      `/plugin/v1/supervisor/${id}/disable`,
      `/plugin/v1/supervisor/${id}/plugin/plugin-x/recover`,
      '/plugin/v1/supervisors/search',
      '/plugin/v1/supervisors/stat',
      `/plugin/v1/supervisor/${id}/plugins`,
      `/plugin/v1/supervisor/${id}/plugins/search`,
      `/plugin/v1/supervisor/${encodeURIComponent('x'.repeat(3000))}`,
      '/plugin/v1/supervisor/%E0%A4%A/register',
      '/plugin/v1/supervisor/..%2F..%2Fetc/enable',
      '/plugin/v2/nothing',
      `/plugin/v1/supervisors?domain_id=${DOMAIN}&query=%7Bbroken`,
      `/plugin/v1/supervisors?domain_id=${DOMAIN}&query=${encodeURIComponent('{"filter":[{"k":"nope","v":1}]}')}`,
      `/plugin/v1/supervisor/${id}?only=secret_hash&domain_id=${DOMAIN}`,
    );
    snapshot = await dump();
  });
  after(async () => {
    raw.close();
    await t.stop(true);
  });

  it(`answers ${REST_REQUESTS} malformed REST requests with coded 4xx errors and no 500`, async () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < REST_REQUESTS; i++) {
      const method = gen.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'PUT']);
      const path = gen.pick(paths);
      const body = restBody(gen);
      const init: RequestInit = { method, headers: { authorization: `Bearer ${t.token}` } };
      if (body !== undefined && method !== 'GET') {
        init.body = body.bytes;
        init.headers = { authorization: `Bearer ${t.token}`, 'content-type': body.contentType };
      }
      const response = await fetch(t.baseUrl + path, init);
      const text = await response.text();
      counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
      const what = `#${i} ${method} ${path.slice(0, 80)} (${response.status}) ${text.slice(0, 200)}`;

      assert.ok(response.status < 500, `server error: ${what}`);
      if (response.status >= 400) {
        const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
        assert.match(String(parsed.code), /^ERROR_[A-Z_]+$/, what);
        assert.equal(typeof parsed.message, 'string', what);
      }
      await checkStore(response.status < 400, what);
    }
    assert.ok(
      (counts.get(200) ?? 0) < REST_REQUESTS / 2,
      `mostly refused: ${JSON.stringify([...counts])}`,
    );
  });

  it(`answers ${GRPC_REQUESTS} malformed gRPC requests with coded errors and no INTERNAL`, async () => {
    for (let i = 0; i < GRPC_REQUESTS; i++) {
      const method = gen.chance(0.05) ? 'no_such_method' : gen.pick(METHODS);
      const useClient = method !== 'no_such_method' && gen.chance(0.5);
      let failure: ServiceError | undefined;
      let what = `#${i} ${method}`;
      if (useClient) {
        const request = typedGarbage(gen);
        what += ` ${JSON.stringify(request).slice(0, 200)}`;
        failure = await t.client.call(method, request).then(
          () => undefined,
          (err: { cause?: ServiceError }) => err.cause,
        );
      } else {
        const bytes = protobufGarbage(gen);
        what += ` bytes ${bytes.subarray(0, 40).toString('hex')}`;
        failure = await rawCall(raw, method, bytes, t.token);
      }

      if (failure !== undefined) {
        assert.notEqual(failure.code, status.INTERNAL, `INTERNAL: ${what}: ${failure.details}`);
        if (failure.code === status.UNIMPLEMENTED) assert.equal(method, 'no_such_method', what);
        else assert.match(failure.details, /^ERROR_[A-Z_]+: /, `${what}: ${failure.details}`);
      }
      await checkStore(failure === undefined, what);
    }
  });

  it('still serves both transports correctly afterwards', async () => {
    const s = await t.client.publish({ name: 'after', hostname: 'after-fuzz', domain_id: DOMAIN });
    const got = await t.rest('GET', `/plugin/v1/supervisor/${s.supervisor_id}?domain_id=${DOMAIN}`);
    assert.equal(got.status, 200);
    assert.equal(got.body['hostname'], 'after-fuzz');
    const listed = await t.client.list({
      domain_id: DOMAIN,
      query: { filter: [{ k: 'hostname', v: 'after-fuzz' }] },
    });
    assert.equal(listed.total_count, 1);
    const health = await t.rest('POST', '/plugin/v1/supervisors/search', { domain_id: DOMAIN });
    assert.equal(health.status, 200);
  });
});

function restBody(gen: Gen): { bytes: Buffer; contentType: string } | undefined {
  switch (gen.int(8)) {
    case 0:
      return undefined;
    case 1: // invalid UTF-8 inside a JSON string
      return {
        bytes: Buffer.concat([
          Buffer.from('{"name":"'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(`","hostname":"h","domain_id":"${DOMAIN}"}`),
        ]),
        contentType: 'application/json',
      };
    case 2: // truncated or not JSON at all
      return {
        bytes: Buffer.from(gen.pick(['{"name":', '[', 'null', '"str"', '42', '{"a":1}}', ''])),
        contentType: 'application/json',
      };
    case 3:
      return {
        bytes: Buffer.from('name=x&hostname=y'),
        contentType: gen.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
        ]),
      };
    case 4: // prototype pollution attempts
      return {
        bytes: Buffer.from(
          `{"__proto__":{"admin":true},"name":"p","hostname":"p","domain_id":"${DOMAIN}"}`,
        ),
        contentType: 'application/json',
      };
    default:
      return {
        bytes: Buffer.from(JSON.stringify(gen.malformedRequest())),
        contentType: 'application/json',
      };
  }
}

/** JSON the typed client can encode, with values the server must refuse. */
function typedGarbage(gen: Gen): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (gen.chance(0.5)) out['domain_id'] = gen.pick(['', DOMAIN, 'x'.repeat(300)]);
  if (gen.chance(0.5)) out['supervisor_id'] = gen.text();
  if (gen.chance(0.5)) out['name'] = gen.text();
  if (gen.chance(0.3)) out['hostname'] = gen.pick(['', 'h'.repeat(1000)]);
  if (gen.chance(0.2)) out['tags'] = gen.object();
  if (gen.chance(0.2)) out['only'] = [gen.text()];
  if (gen.chance(0.2))
    out['query'] = {
      filter: [
        {
          k: gen.pick(['nope', 'tags.', '', 'name']),
          v: gen.value(),
          o: gen.pick(['eq', 'in', 'bogus', 'exists']),
        },
      ],
      page: { start: gen.int(3), limit: gen.pick([0, 10, 100_000]) },
    };
  return out;
}

/** Bytes shaped like protobuf: random tags and wire types, bad lengths, invalid UTF-8. */
function protobufGarbage(gen: Gen): Buffer {
  const parts: Buffer[] = [];
  for (let n = gen.int(6); n > 0; n--) {
    const field = gen.pick([1, 2, 3, 4, 5, 6, 7, 8, 19, 99, 536870911]);
    const wire = gen.pick([0, 1, 2, 2, 5, 3, 7]);
    const tagBytes = varint(field * 8 + wire);
    if (wire === 2) {
      const payload = gen.pick([
        Buffer.from([0xff, 0xfe]),
        Buffer.from('x'.repeat(gen.pick([0, 10, 70_000]))),
        Buffer.alloc(0),
      ]);
      const length = gen.chance(0.2) ? payload.length + 50 : payload.length;
      parts.push(tagBytes, varint(length), payload);
    } else if (wire === 0) parts.push(tagBytes, varint(gen.pick([0, 1, 2 ** 31, 2 ** 50])));
    else parts.push(tagBytes, Buffer.alloc(gen.pick([0, 4, 8]), 0xaa));
  }
  if (gen.chance(0.1))
    parts.push(Buffer.from(Array.from({ length: gen.int(64) }, () => gen.int(256))));
  return Buffer.concat(parts);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function rawCall(
  client: Client,
  method: string,
  body: Buffer,
  token: string,
): Promise<ServiceError | undefined> {
  const metadata = new Metadata();
  metadata.set('token', token);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/spaceone.api.plugin.v1.Supervisor/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (err: ServiceError | null) => resolve(err ?? undefined),
    );
  });
}
