import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadServeConfig } from './serve-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plugvisor-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(text: string): string {
  const path = join(dir, `c-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('serve settings', () => {
  it('uses the documented defaults', () => {
    const config = loadServeConfig({}, {});
    assert.equal(config.grpcPort, 50051);
    assert.equal(config.httpPort, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, './.plugvisor');
    assert.equal(config.database, 'sqlite:.plugvisor/plugvisor.db');
    assert.equal(config.logLevel, 'info');
  });

  it('takes a flag over the environment over the config file over the default', () => {
    const config = configFile('grpc_port: 1001\nhttp_port: 1002\nhost: 0.0.0.0\n');
    const env = {
      PLUGVISOR_CONFIG: config,
      PLUGVISOR_GRPC_PORT: '2001',
      PLUGVISOR_HTTP_PORT: '2002',
    };
    const resolved = loadServeConfig({ grpc_port: '3001' }, env);
    assert.equal(resolved.grpcPort, 3001);
    assert.equal(resolved.httpPort, 2002);
    assert.equal(resolved.host, '0.0.0.0');
    assert.equal(resolved.logLevel, 'info');
  });

  it('derives the database from the data directory unless one is given', () => {
    assert.equal(
      loadServeConfig({ data_dir: '/var/lib/pv' }, {}).database,
      'sqlite:/var/lib/pv/plugvisor.db',
    );
    assert.equal(
      loadServeConfig({ data_dir: '/x' }, { PLUGVISOR_DATABASE: 'sqlite:/y.db' }).database,
      'sqlite:/y.db',
    );
  });

  it('names the bad key and its source', () => {
    assert.throws(
      () => loadServeConfig({}, { PLUGVISOR_HTTP_PORT: '70000' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /http_port/.test(err.message) &&
        /PLUGVISOR_HTTP_PORT/.test(err.message),
    );
    assert.throws(
      () => loadServeConfig({ config: configFile('grpc_prot: 1\n') }, {}),
      /unknown key grpc_prot/,
    );
    assert.throws(
      () => loadServeConfig({ database: 'mysql://x' }, {}),
      /database \(from flag --database\)/,
    );
    assert.throws(
      () => loadServeConfig({ config: join(dir, 'missing.yaml') }, {}),
      /cannot read config file/,
    );
  });
});

describe('serve settings for auth and liveness', () => {
  it('requires tokens and uses five-minute heartbeats unless told otherwise', () => {
    const config = loadServeConfig({}, {});
    assert.equal(config.authDisabled, false);
    assert.equal(config.heartbeatTimeoutMs, 300_000);
    assert.equal(config.livenessIntervalMs, 15_000);
    assert.deepEqual(config.verificationKeyFiles, []);
    assert.equal(config.signingKeyFile, undefined);
  });

  it('turns auth off only when asked explicitly, by flag or PLUGVISOR_AUTH=off', () => {
    assert.equal(loadServeConfig({ auth: 'off' }, {}).authDisabled, true);
    assert.equal(loadServeConfig({}, { PLUGVISOR_AUTH: 'off' }).authDisabled, true);
    assert.throws(
      () => loadServeConfig({}, { PLUGVISOR_AUTH: 'no' }),
      (err: unknown) => err instanceof ConfigError && err.message.includes('PLUGVISOR_AUTH'),
    );
  });

  it('reads durations and key files from flags and the environment', () => {
    const config = loadServeConfig(
      { heartbeat_timeout: '90s', liveness_interval: '2' },
      {
        PLUGVISOR_SIGNING_KEY_FILE: '/keys/current.pem',
        PLUGVISOR_VERIFICATION_KEY_FILES: '/keys/a.pem, /keys/b.pem',
      },
    );
    assert.equal(config.heartbeatTimeoutMs, 90_000);
    assert.equal(config.livenessIntervalMs, 2_000);
    assert.equal(config.signingKeyFile, '/keys/current.pem');
    assert.deepEqual(config.verificationKeyFiles, ['/keys/a.pem', '/keys/b.pem']);
  });

  it('names the setting and its source when a duration is malformed', () => {
    assert.throws(
      () => loadServeConfig({ heartbeat_timeout: '5 minutes' }, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes('heartbeat_timeout') &&
        err.message.includes('--heartbeat-timeout'),
    );
    // Zero and out-of-range amounts pass the shape check: they too must name the setting.
    for (const bad of ['0', '0s', '99999999999999999999s']) {
      assert.throws(
        () => loadServeConfig({ heartbeat_timeout: bad }, {}),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.includes('heartbeat_timeout') &&
          err.message.includes('--heartbeat-timeout'),
        bad,
      );
    }
  });
});
