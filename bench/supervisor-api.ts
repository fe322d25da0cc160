// Measures the Supervisor API on loopback: publish throughput (first publishes and heartbeats)
// over gRPC and REST, and list latency with a filter, sort and page over many supervisors.
// Run: npx tsc -p . && node dist/bench/supervisor-api.js [supervisors]
import { performance } from 'node:perf_hooks';
import { startTestControlPlane } from '../test/support/control-plane.js';

const COUNT = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 16;

async function timed(
  label: string,
  n: number,
  run: (i: number) => Promise<unknown>,
): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await run(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(2);
  console.log(
    `${label}: ${n} calls, ${(n / seconds).toFixed(0)}/s, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
  );
}

const t = await startTestControlPlane();
try {
  const domain_id = 'domain-bench';
  await timed('gRPC publish (create)', COUNT, (i) =>
    t.client.publish({
      name: `s${i}`,
      hostname: `host-${i}`,
      domain_id,
      secret_key: 'k',
      labels: { zone: `z${i % 10}` },
    }),
  );
  await timed('gRPC publish (heartbeat)', COUNT, (i) =>
    t.client.publish({ name: `s${i}`, hostname: `host-${i}`, domain_id, secret_key: 'k' }),
  );
  await timed('REST publish (heartbeat)', COUNT, (i) =>
    t.rest('POST', '/plugin/v1/supervisors', {
      name: `s${i}`,
      hostname: `host-${i}`,
      domain_id,
      secret_key: 'k',
    }),
  );
  const query = {
    filter: [{ k: 'labels.zone', v: 'z3' }],
    sort: { key: 'name', desc: true },
    page: { start: 2, limit: 20 },
  };
  await timed(`gRPC list (filter+sort+page over ${COUNT})`, 500, () =>
    t.client.list({ domain_id, query }),
  );
  await timed(`REST list (filter+sort+page over ${COUNT})`, 500, () =>
    t.rest('POST', '/plugin/v1/supervisors/search', { domain_id, query }),
  );
} finally {
  await t.stop(true);
}
