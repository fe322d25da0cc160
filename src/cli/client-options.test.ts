import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import {
  addClientOptions,
  resolveClientContext,
  type ClientContext,
  type ClientOptionValues,
} from './client-options.js';

const dir = mkdtempSync(join(tmpdir(), 'plugvisor-client-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ENV_KEYS = [
  'PLUGVISOR_ADDRESS',
  'PLUGVISOR_TOKEN',
  'PLUGVISOR_DOMAIN_ID',
  'PLUGVISOR_DATA_DIR',
];

/** Parses `args` with the client options under `env` and resolves the context. */
async function contextOf(args: string[], env: Record<string, string> = {}): Promise<ClientContext> {
  const saved = ENV_KEYS.map((key) => [key, process.env[key]] as const);
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, env);
  try {
    const command = addClientOptions(new Command('probe')).exitOverride();
    command.parse(args, { from: 'user' });
    return await resolveClientContext(command.opts<ClientOptionValues>());
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe('the client options', () => {
  it('default to the local control plane and domain, table output and 30 s', async () => {
    const ctx = await contextOf(['--data-dir', join(dir, 'none')]);

    assert.deepEqual(ctx, {
      address: '127.0.0.1:50051',
      token: undefined,
      domainId: 'domain-local',
      output: 'table',
      timeoutMs: 30_000,
    });
  });

  it('read the token plugvisor up wrote into the data dir', async () => {
    writeFileSync(join(dir, 'token'), 'local-token-value\n');

    assert.equal((await contextOf([], { PLUGVISOR_DATA_DIR: dir })).token, 'local-token-value');
  });

  it('prefer --token, then PLUGVISOR_TOKEN, over the token file', async () => {
    writeFileSync(join(dir, 'token'), 'local-token-value\n');

    assert.equal(
      (await contextOf(['--data-dir', dir], { PLUGVISOR_TOKEN: 'from-env' })).token,
      'from-env',
    );
    assert.equal(
      (await contextOf(['--data-dir', dir, '--token', 'flag'], { PLUGVISOR_TOKEN: 'from-env' }))
        .token,
      'flag',
    );
  });

  it('take the address and domain from the environment, flags first', async () => {
    const env = { PLUGVISOR_ADDRESS: '10.0.0.5:7000', PLUGVISOR_DOMAIN_ID: 'domain-env' };

    const fromEnv = await contextOf([], env);
    assert.deepEqual([fromEnv.address, fromEnv.domainId], ['10.0.0.5:7000', 'domain-env']);
    const fromFlags = await contextOf(['--address', '[::1]:9000', '--domain-id', 'd2'], env);
    assert.deepEqual([fromFlags.address, fromFlags.domainId], ['[::1]:9000', 'd2']);
  });

  it('refuse an address without a port and a timeout that is not positive', async () => {
    await assert.rejects(contextOf(['--address', 'localhost']), /host:port/);
    await assert.rejects(contextOf(['--timeout', '0']), /positive number/);
    assert.equal((await contextOf(['--timeout', '2.5'])).timeoutMs, 2500);
  });
});
