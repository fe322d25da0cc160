import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadServeConfig } from './serve-config.js';

describe('serve settings for plugin instances', () => {
  it('defaults to a 150 s install timeout, three days unused, ten minute cleanups, default catalog', () => {
    const config = loadServeConfig({}, {});
    assert.equal(config.installTimeoutMs, 150_000);
    assert.equal(config.unusedAfterMs, 3 * 24 * 60 * 60 * 1000);
    assert.equal(config.cleanupIntervalMs, 600_000);
    assert.equal(config.catalog, undefined);
    assert.equal(config.waitRecheckMs, 0, 'waiting calls rely on events unless told otherwise');
    assert.equal(loadServeConfig({ wait_recheck: '2' }, {}).waitRecheckMs, 2000);
  });

  it('reads seconds from flags before the environment, fractions allowed', () => {
    const env = {
      PLUGVISOR_INSTALL_TIMEOUT: '30',
      PLUGVISOR_UNUSED_AFTER: '60',
      PLUGVISOR_CATALOG: '/c.yaml',
    };
    assert.equal(loadServeConfig({}, env).installTimeoutMs, 30_000);
    assert.equal(loadServeConfig({ install_timeout: '0.25' }, env).installTimeoutMs, 250);
    assert.equal(loadServeConfig({}, env).unusedAfterMs, 60_000);
    assert.equal(loadServeConfig({}, env).catalog, '/c.yaml');
  });

  it('refuses a non-positive or non-numeric timeout, naming the setting and its source', () => {
    for (const bad of ['0', '-5', 'soon']) {
      assert.throws(
        () => loadServeConfig({}, { PLUGVISOR_INSTALL_TIMEOUT: bad }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.includes('install_timeout') &&
          err.message.includes('PLUGVISOR_INSTALL_TIMEOUT'),
      );
    }
  });
});
