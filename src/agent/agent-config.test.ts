import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { AgentConfigError, loadAgentConfig, parseDuration } from './agent-config.js';

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'plugvisor-agent-config-')), 'agent.yaml');
  writeFileSync(path, text);
  return path;
}

describe('the agent configuration', () => {
  it('defaults to the local control plane, the process backend and the hostname as name', () => {
    const config = loadAgentConfig({}, {});

    assert.equal(config.controlPlane, '127.0.0.1:50051');
    assert.equal(config.backend, 'process');
    assert.equal(config.hostname, hostname());
    assert.equal(config.name, hostname());
    assert.equal(config.heartbeatIntervalMs, 30_000);
    assert.equal(config.resyncIntervalMs, 30_000);
    assert.deepEqual(config.labels, {});
    assert.equal(config.isPublic, false);
  });

  it('takes a flag over the environment, the environment over the file, the file over the default', () => {
    const file = configFile(
      'name: from-file\nhostname: host-file\nlabels: { zone: a }\nresync_interval: 5s\n',
    );

    const config = loadAgentConfig(
      { config: file, name: 'from-flag' },
      {
        PLUGVISOR_AGENT_NAME: 'from-env',
        PLUGVISOR_AGENT_HOSTNAME: 'host-env',
        PLUGVISOR_AGENT_TAGS: 'team=ops, env=dev',
      },
    );

    assert.equal(config.name, 'from-flag');
    assert.equal(config.hostname, 'host-env');
    assert.deepEqual(config.labels, { zone: 'a' });
    assert.deepEqual(config.tags, { team: 'ops', env: 'dev' });
    assert.equal(config.resyncIntervalMs, 5_000);
  });

  it('reads the config file named by PLUGVISOR_AGENT_CONFIG', () => {
    const file = configFile('control_plane: plane.example:7000\npublic: true\nmax_restarts: 2\n');

    const config = loadAgentConfig({}, { PLUGVISOR_AGENT_CONFIG: file });

    assert.equal(config.controlPlane, 'plane.example:7000');
    assert.equal(config.isPublic, true);
    assert.equal(config.maxRestarts, 2);
  });

  it('names the key and the source of a bad value', () => {
    assert.throws(
      () => loadAgentConfig({}, { PLUGVISOR_AGENT_CONTROL_PLANE: 'no-port' }),
      (err: Error) =>
        err instanceof AgentConfigError &&
        /invalid control_plane \(from environment PLUGVISOR_AGENT_CONTROL_PLANE\): must be host:port/.test(
          err.message,
        ),
    );
    assert.throws(
      () => loadAgentConfig({ labels: 'zone' }, {}),
      /invalid labels \(from flag --labels\)/,
    );
    assert.throws(
      () => loadAgentConfig({ heartbeat_interval: 'soon' }, {}),
      /invalid heartbeat_interval .* must be a duration/,
    );
    assert.throws(
      () => loadAgentConfig({ backend: 'docker' }, {}),
      /invalid backend \(from flag --backend\)/,
    );
  });

  it('refuses a config file with an unknown key, naming it', () => {
    const file = configFile('nmae: typo\n');

    assert.throws(() => loadAgentConfig({ config: file }, {}), /has an unknown key nmae/);
  });

  it('parses durations with units and refuses others', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1500'), 1_500);
    assert.equal(parseDuration('0s'), undefined);
    assert.equal(parseDuration('1d'), undefined);
  });
});
