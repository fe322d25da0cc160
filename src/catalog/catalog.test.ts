import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  InvalidPluginVersionError,
  PluginNotFoundError,
  RequiredParameterError,
} from '../domain/index.js';
import {
  CatalogError,
  DEFAULT_PLUGIN_PORT,
  defaultCatalogPath,
  loadCatalog,
  parseCatalog,
  plugvisorHome,
} from './index.js';

const EXAMPLE = `
plugins:
  plugin-aws-ec2:
    name: AWS EC2 collector
    resource_type: inventory.Collector
    versions: ['1.2.9', '1.2.10', '1.10.0-rc.1', '0.4.1.20220609.122832', '1.0']
    labels: { cloud: aws, tier: 1 }
    image: cloudforet/plugin-aws-ec2
    registry: { url: registry.example.com, auth_ref: pull-secret }
    port: 50052
  plugin-echo:
    name: Echo
    resource_type: plugvisor.Example
    versions: ['1.0.0']
    process:
      command: node
      args: ['\${PLUGVISOR_HOME}/dist/echo.js', '--verbose']
      env: { LOG_DIR: '\${PLUGVISOR_HOME}/logs', RETRIES: 3 }
`;

function expectCatalogError(yaml: string, ...fragments: string[]): void {
  assert.throws(
    () => parseCatalog(yaml, { home: '/opt/pv', source: 'test.yaml' }),
    (err: unknown) => {
      assert.ok(err instanceof CatalogError, String(err));
      for (const f of fragments) assert.ok(err.message.includes(f), `${err.message} ∌ ${f}`);
      assert.ok(err.message.includes('test.yaml'));
      return true;
    },
  );
}

describe('parseCatalog', () => {
  const catalog = parseCatalog(EXAMPLE, { home: '/opt/pv' });

  it('reads every field and sorts versions oldest first', () => {
    const ec2 = catalog.get('plugin-aws-ec2');
    assert.deepEqual(ec2, {
      plugin_id: 'plugin-aws-ec2',
      name: 'AWS EC2 collector',
      resource_type: 'inventory.Collector',
      versions: ['0.4.1.20220609.122832', '1.0', '1.2.9', '1.2.10', '1.10.0-rc.1'],
      labels: { cloud: 'aws', tier: '1' },
      image: 'cloudforet/plugin-aws-ec2',
      registry: { url: 'registry.example.com', auth_ref: 'pull-secret' },
      port: 50052,
    });
  });

  it('substitutes ${PLUGVISOR_HOME} in the process spec and fills defaults', () => {
    const echo = catalog.get('plugin-echo');
    assert.deepEqual(echo.process, {
      command: 'node',
      args: ['/opt/pv/dist/echo.js', '--verbose'],
      env: { LOG_DIR: '/opt/pv/logs', RETRIES: '3' },
    });
    assert.equal(echo.port, DEFAULT_PLUGIN_PORT);
    assert.deepEqual(echo.labels, {});
    assert.deepEqual(
      catalog.list().map((p) => p.plugin_id),
      ['plugin-aws-ec2', 'plugin-echo'],
    );
  });

  it('accepts an empty plugin map', () => {
    assert.deepEqual(parseCatalog('plugins: {}').list(), []);
  });

  const bad: [string, string, string[]][] = [
    [
      'an unquoted numeric version',
      'plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: [1.0]\n    image: i\n',
      ['plugins.p.versions[0]', 'quoted'],
    ],
    [
      'an unknown key (a typo)',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    image: i\n    imgae: j\n",
      ['plugins.p', 'imgae'],
    ],
    [
      'a missing name',
      "plugins:\n  p:\n    resource_type: t\n    versions: ['1']\n    image: i\n",
      ['plugins.p.name'],
    ],
    [
      'no versions',
      'plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: []\n    image: i\n',
      ['plugins.p.versions', 'at least one'],
    ],
    [
      'a repeated version',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1', '1']\n    image: i\n",
      ['plugins.p.versions', 'repeat'],
    ],
    [
      'a version with a space',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1 0']\n    image: i\n",
      ['plugins.p.versions[0]'],
    ],
    [
      'neither image nor process',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n",
      ['plugins.p', 'image or a process'],
    ],
    [
      'a registry without an image',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    registry: { url: r }\n    process: { command: x }\n",
      ['plugins.p.registry', 'needs an image'],
    ],
    [
      'a process without a command',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    process: { args: [a] }\n",
      ['plugins.p.process.command'],
    ],
    [
      'a non-string argument',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    process: { command: x, args: [[1]] }\n",
      ['plugins.p.process.args[0]'],
    ],
    [
      'a bad port',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    image: i\n    port: 70000\n",
      ['plugins.p.port'],
    ],
    [
      'an upper-case plugin_id',
      "plugins:\n  Plugin:\n    name: P\n    resource_type: t\n    versions: ['1']\n    image: i\n",
      ['plugins.Plugin', 'plugin_id'],
    ],
    [
      'an unknown placeholder',
      "plugins:\n  p:\n    name: P\n    resource_type: t\n    versions: ['1']\n    process: { command: x, env: { A: '${HOME}/x' } }\n",
      ['plugins.p.process.env.A', '${HOME}'],
    ],
    ['no plugins key', 'plugin: {}\n', ['plugins']],
    [
      'a duplicate plugin_id',
      "plugins:\n  p: { name: P, resource_type: t, versions: ['1'], image: i }\n  p: { name: Q, resource_type: t, versions: ['1'], image: i }\n",
      ['not valid YAML'],
    ],
    ['text that is not YAML', 'plugins: [unclosed\n', ['not valid YAML']],
  ];

  for (const [name, yaml, fragments] of bad) {
    it(`rejects ${name}, naming the path`, () => expectCatalogError(yaml, ...fragments));
  }
});

describe('Catalog lookups', () => {
  const catalog = parseCatalog(EXAMPLE, { home: '/opt/pv' });

  it('finds plugins and versions, and names what is unknown', () => {
    assert.equal(catalog.checkVersion('plugin-aws-ec2', '1.2.10').plugin_id, 'plugin-aws-ec2');
    assert.equal(catalog.find('nope'), undefined);
    assert.throws(
      () => catalog.get('nope'),
      (e: unknown) =>
        e instanceof PluginNotFoundError &&
        e.code === 'ERROR_PLUGIN_NOT_FOUND' &&
        e.message.includes('nope'),
    );
    assert.throws(
      () => catalog.checkVersion('plugin-aws-ec2', '1.2.10.0'),
      (e: unknown) =>
        e instanceof InvalidPluginVersionError &&
        e.code === 'ERROR_INVALID_PLUGIN_VERSION' &&
        e.message.includes('1.2.10.0'),
    );
  });

  it('resolves MANUAL to the requested version and AUTO to the newest release', () => {
    assert.deepEqual(catalog.resolveVersion('plugin-aws-ec2', '1.2.9', 'MANUAL'), {
      version: '1.2.9',
      updated_version: '',
    });
    assert.deepEqual(catalog.resolveVersion('plugin-aws-ec2', '1.2.9', 'AUTO'), {
      version: '1.2.10',
      updated_version: '1.2.10',
    });
    assert.deepEqual(catalog.resolveVersion('plugin-aws-ec2', '', 'AUTO'), {
      version: '1.2.10',
      updated_version: '1.2.10',
    });
  });

  it('refuses MANUAL without a version, unknown plugins and unknown versions', () => {
    assert.throws(
      () => catalog.resolveVersion('plugin-aws-ec2', '', 'MANUAL'),
      (e: unknown) => e instanceof RequiredParameterError && e.key === 'version',
    );
    assert.throws(() => catalog.resolveVersion('nope', '1', 'AUTO'), PluginNotFoundError);
    assert.throws(() => catalog.resolveVersion('nope', '1', 'MANUAL'), PluginNotFoundError);
    assert.throws(
      () => catalog.resolveVersion('plugin-aws-ec2', '9.9', 'MANUAL'),
      InvalidPluginVersionError,
    );
  });
});

describe('loadCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-catalog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    const path = join(dir, 'catalog.yaml');
    writeFileSync(path, EXAMPLE);
    assert.equal((await loadCatalog(path, { home: '/x' })).list().length, 2);
    await assert.rejects(
      loadCatalog(join(dir, 'missing.yaml')),
      (e: unknown) => e instanceof CatalogError && e.message.includes('missing.yaml'),
    );
  });

  it('loads the default catalog with plugin-echo pointing into the package', async () => {
    const catalog = await loadCatalog(defaultCatalogPath());
    const echo = catalog.get('plugin-echo');
    assert.deepEqual(echo.versions, ['1.0.0', '1.1.0']);
    assert.equal(echo.process?.command, 'node');
    assert.deepEqual(echo.process?.args, [
      join(plugvisorHome(), 'dist/examples/plugins/echo/server.js'),
    ]);
  });
});
