/**
 * Query benchmark (issue #3): seeds 100,000 installed plugins on 2,000 supervisors in a temporary
 * SQLite file, then times three queries end to end through the service layer (parse, compile,
 * execute, map rows) against the same queries written by hand in SQL through better-sqlite3, in
 * the same run. Prints each ratio (goal ≤ 1.5) and SQLite's plan for each compiled statement.
 *
 * Run: `npm run bench:query` (or `node dist/bench/query-bench.js [rounds]`).
 */
import { systemClock } from '../src/domain/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pino from 'pino';
import {
  compileList,
  compileStat,
  parseListQuery,
  parseStatQuery,
  sqliteDialect,
  type SqlFragment,
} from '../src/query/index.js';
import { buildServices } from '../src/service/index.js';
import type { Caller } from '../src/service/index.js';
import { runStat } from '../src/service/stat.js';
import {
  installedPluginResource,
  installedPluginSource,
  openStore,
  type Store,
} from '../src/store/index.js';

const SUPERVISORS = 2_000;
const PLUGINS_PER_SUPERVISOR = 50;
const DOMAIN = 'domain-bench';
const PLUGIN_IDS = Array.from(
  { length: 40 },
  (_, i) => `plugin-${['aws', 'gcp', 'azure', 'oci'][i % 4]}-${i}`,
);
const STATES = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'PROVISIONING', 'ERROR', 'RE_PROVISIONING'];
const ROUNDS = Number(process.argv[2] ?? 30);

interface Case {
  name: string;
  service: () => Promise<unknown>;
  hand: () => unknown;
  plan: SqlFragment;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plugvisor-bench-'));
  const file = join(dir, 'bench.db');
  try {
    const store = await openStore(`sqlite:${file}`);
    await seed(store);
    const raw = new BetterSqlite3(file, { readonly: true });
    raw.function('pv_lower', { deterministic: true }, (v: unknown) =>
      v === null || v === undefined ? null : String(v).toLowerCase(),
    );
    const cases = await buildCases(store, raw);

    console.log(
      `seeded ${SUPERVISORS} supervisors, ${SUPERVISORS * PLUGINS_PER_SUPERVISOR} installed plugins; ${ROUNDS} rounds each`,
    );
    for (const c of cases) await report(c, raw);
    raw.close();
    await store.close();
  } finally {
    if (process.env.KEEP_BENCH_DB === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}

async function buildCases(store: Store, raw: BetterSqlite3.Database): Promise<Case[]> {
  const services = await buildServices(store, { logger: pino({ level: 'silent' }) });
  const caller: Caller = { role: 'DOMAIN_ADMIN', domainId: DOMAIN, requestId: 'bench' } as Caller;

  const listQuery = {
    filter: [
      { k: 'state', v: 'ACTIVE', o: 'eq' },
      { k: 'plugin_id', v: 'plugin-gcp-5', o: 'eq' },
      { k: 'managed', v: true, o: 'eq' },
    ],
    sort: { key: 'created_at', desc: true },
    page: { start: 1, limit: 100 },
  };
  const keywordQuery = { keyword: 'gcp-13 host-0042', page: { start: 1, limit: 100 } };
  const statQuery = {
    aggregate: [
      {
        group: {
          keys: [{ key: 'state', name: 'state' }],
          fields: [{ name: 'count', operator: 'count' }],
        },
      },
    ],
  };

  const source = `(SELECT ip.supervisor_id, ip.plugin_id, ip.version, ip.state, ip.endpoint, ip.endpoints,
      ip.managed, COALESCE(u.domain_id, ip.domain_id) AS domain_id, ip.error_message, ip.created_at,
      ip.updated_at, ip.endpoint_called_at, s.name AS supervisor_name, s.hostname AS hostname
    FROM installed_plugins ip JOIN supervisors s ON s.supervisor_id = ip.supervisor_id
    LEFT JOIN installed_plugin_domains u ON u.supervisor_id = ip.supervisor_id
      AND u.plugin_id = ip.plugin_id AND u.version = ip.version AND u.domain_id = @d
    WHERE s.domain_id = @d OR u.domain_id IS NOT NULL)`;
  const handList =
    raw.prepare(`SELECT * FROM ${source} WHERE state = 'ACTIVE' AND plugin_id = 'plugin-gcp-5' AND managed = 1
    ORDER BY created_at DESC, supervisor_id, plugin_id, version LIMIT 100`);
  const handListCount = raw.prepare(
    `SELECT count(*) AS n FROM ${source} WHERE state = 'ACTIVE' AND plugin_id = 'plugin-gcp-5' AND managed = 1`,
  );
  const handStat = raw.prepare(
    `SELECT state, count(*) AS count FROM ${source} GROUP BY state ORDER BY state`,
  );
  const kw = `(supervisor_id LIKE @a OR hostname LIKE @a OR plugin_id LIKE @a
      OR supervisor_id LIKE @b OR hostname LIKE @b OR plugin_id LIKE @b)`;
  const handKeyword = raw.prepare(
    `SELECT * FROM ${source} WHERE ${kw} ORDER BY supervisor_id, plugin_id, version LIMIT 100`,
  );
  const handKeywordCount = raw.prepare(`SELECT count(*) AS n FROM ${source} WHERE ${kw}`);
  const mapRow = (r: Record<string, unknown>): Record<string, unknown> => ({
    ...r,
    managed: r['managed'] === 1,
    endpoints: JSON.parse(String(r['endpoints'])) as unknown,
  });
  const kwParams = { d: DOMAIN, a: '%gcp-13%', b: '%host-0042%' };

  const compiledPlan = (q: unknown): SqlFragment =>
    compileList(
      installedPluginResource,
      installedPluginSource(DOMAIN),
      parseListQuery(installedPluginResource, q),
      sqliteDialect,
    ).select;
  const statPlan = compileStat(
    installedPluginResource,
    installedPluginSource(DOMAIN),
    parseStatQuery(installedPluginResource, statQuery),
    sqliteDialect,
  ).select;

  return [
    {
      name: '(a) list_plugins: 3-condition filter, sort, page of 100',
      service: () =>
        services.supervisors.listPlugins(caller, { domain_id: DOMAIN, query: listQuery }),
      hand: () => ({
        results: (handList.all({ d: DOMAIN }) as Record<string, unknown>[]).map(mapRow),
        total_count: (handListCount.get({ d: DOMAIN }) as { n: number }).n,
      }),
      plan: compiledPlan(listQuery),
    },
    {
      name: '(b) stat: installed plugins grouped by state with a count',
      service: () =>
        runStat({
          store,
          schema: installedPluginResource,
          source: installedPluginSource(DOMAIN),
          dialect: sqliteDialect,
          clock: systemClock,
          query: statQuery,
        }),
      hand: () => ({ results: handStat.all({ d: DOMAIN }) }),
      plan: statPlan,
    },
    {
      name: '(c) keyword search over supervisor_id, hostname, plugin_id',
      service: () =>
        services.supervisors.listPlugins(caller, { domain_id: DOMAIN, query: keywordQuery }),
      hand: () => ({
        results: (handKeyword.all(kwParams) as Record<string, unknown>[]).map(mapRow),
        total_count: (handKeywordCount.get(kwParams) as { n: number }).n,
      }),
      plan: compiledPlan(keywordQuery),
    },
  ];
}

async function report(c: Case, raw: BetterSqlite3.Database): Promise<void> {
  const serviceAnswer = (await c.service()) as { results: unknown[]; total_count?: number };
  const handAnswer = c.hand() as { results: unknown[]; total_count?: number };
  if (
    serviceAnswer.results.length !== handAnswer.results.length ||
    serviceAnswer.total_count !== handAnswer.total_count
  ) {
    throw new Error(
      `${c.name}: service and hand-written SQL disagree (${serviceAnswer.results.length}/${serviceAnswer.total_count} vs ${handAnswer.results.length}/${handAnswer.total_count})`,
    );
  }
  const [service, hand] = await timeBoth(c.service, async () => c.hand());
  console.log(`\n${c.name}`);
  console.log(
    `  rows ${serviceAnswer.results.length}, total_count ${serviceAnswer.total_count ?? '-'}`,
  );
  console.log(
    `  service ${service.toFixed(2)} ms, hand-written ${hand.toFixed(2)} ms, ratio ${(service / hand).toFixed(2)} (goal ≤ 1.5)`,
  );
  console.log('  plan of the compiled statement:');
  const plan = raw
    .prepare(`EXPLAIN QUERY PLAN ${c.plan.sql}`)
    .all(...c.plan.params.map((p) => (typeof p === 'boolean' ? Number(p) : p))) as {
    detail: string;
  }[];
  for (const step of plan) console.log(`    ${step.detail}`);
}

/**
 * Median milliseconds of ROUNDS runs of each, after two warm-up runs; the two sides alternate so
 * that load from other processes on the machine falls on both alike.
 */
async function timeBoth(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  for (let i = 0; i < 2; i++) {
    await a();
    await b();
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [side, run] of [a, b].entries()) {
      const started = process.hrtime.bigint();
      await run();
      times[side as 0 | 1].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return [median(times[0]), median(times[1])];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function seed(store: Store): Promise<void> {
  const base = Date.UTC(2026, 0, 1);
  await store.db.transaction().execute(async (tx) => {
    const supervisors = Array.from({ length: SUPERVISORS }, (_, i) => ({
      supervisor_id: `supervisor-${String(i).padStart(12, '0')}`,
      name: `sv-${i}`,
      hostname: `host-${String(i).padStart(4, '0')}.example`,
      domain_id: i % 10 === 9 ? 'domain-other' : DOMAIN,
      state: 'ENABLED',
      is_public: 0,
      priority: i % 10,
      labels: JSON.stringify({ region: ['eu', 'us', 'ap'][i % 3] }),
      tags: '{}',
      secret_hash: '',
      registered: 1,
      created_at: new Date(base + i * 1000).toISOString(),
      updated_at: new Date(base + i * 1000).toISOString(),
      last_seen_at: new Date(base + i * 1000).toISOString(),
    }));
    for (let i = 0; i < supervisors.length; i += 500) {
      await tx
        .insertInto('supervisors')
        .values(supervisors.slice(i, i + 500))
        .execute();
    }
    for (let s = 0; s < SUPERVISORS; s += 10) {
      const rows = [];
      for (let k = s; k < s + 10; k++) {
        for (let p = 0; p < PLUGINS_PER_SUPERVISOR; p++) {
          const n = k * PLUGINS_PER_SUPERVISOR + p;
          const t = new Date(base + n * 37_000).toISOString();
          rows.push({
            supervisor_id: `supervisor-${String(k).padStart(12, '0')}`,
            plugin_id: PLUGIN_IDS[(k + p) % PLUGIN_IDS.length]!,
            version: `1.${p % 3}.${Math.floor(p / 40)}`,
            state: STATES[n % STATES.length]!,
            endpoint: `grpc://10.${k % 250}.${p}.1:50051`,
            endpoints: JSON.stringify([`grpc://10.${k % 250}.${p}.1:50051`]),
            managed: n % 3 === 0 ? 0 : 1,
            domain_id: DOMAIN,
            error_message: '',
            rr_counter: 0,
            created_at: t,
            updated_at: t,
            endpoint_called_at: n % 5 === 0 ? null : t,
          });
        }
      }
      await tx.insertInto('installed_plugins').values(rows).execute();
    }
  });
  await sql`ANALYZE`.execute(store.db);
}

await main();
