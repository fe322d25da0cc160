import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadServeConfig } from './serve-config.js';

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
  });
});
