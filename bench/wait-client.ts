/**
 * The client side of `npm run bench:wait`, run as its own process: opens N get_plugin_endpoint
 * calls at once against the address given, prints `sent` once they are all on the wire, and one
 * JSON line with the outcome when every call has settled.
 *
 * Usage: node dist/bench/wait-client.js HOST:PORT COUNT DOMAIN_ID VERSION[,VERSION…]
 */
import { PluginClient } from '../src/transport/client/index.js';

async function main(): Promise<void> {
  const [address, countText, domainId, versionsText] = process.argv.slice(2);
  if (address === undefined || domainId === undefined || versionsText === undefined) {
    throw new Error('usage: wait-client HOST:PORT COUNT DOMAIN_ID VERSION[,VERSION…]');
  }
  const count = Number(countText);
  const versions = versionsText.split(',');
  const client = new PluginClient(address);

  const started = performance.now();
  const calls = Array.from({ length: count }, (_, i) =>
    client
      .getPluginEndpoint(
        { plugin_id: 'plugin-echo', version: versions[i % versions.length], domain_id: domainId },
        { timeoutMs: 300_000 },
      )
      .then(() => performance.now()),
  );
  process.stdout.write('sent\n');

  const outcomes = await Promise.allSettled(calls);
  const answeredAt = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
  client.close();
  process.stdout.write(
    `${JSON.stringify({
      answered: answeredAt.length,
      failed: failed.length,
      firstError: failed[0],
      lastAnswerMs: Math.round(Math.max(...answeredAt) - started),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
