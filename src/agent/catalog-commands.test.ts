import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { plugvisorHome } from '../catalog/index.js';
import { catalogCommandResolver } from './catalog-commands.js';

describe('the agent catalog commands', () => {
  it('runs plugin-echo of the default catalog with this Node and the compiled example', async () => {
    const resolve = await catalogCommandResolver();

    const command = await resolve({ plugin_id: 'plugin-echo', version: '1.1.0' });

    assert.deepEqual(command.argv, [
      process.execPath,
      join(plugvisorHome(), 'dist/examples/plugins/echo/server.js'),
    ]);
  });

  it('names the plugin and the file for an unknown version or a plugin without process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugvisor-catalog-'));
    const file = join(dir, 'catalog.yaml');
    writeFileSync(
      file,
      "plugins:\n  only-image:\n    name: X\n    resource_type: a.B\n    versions: ['1.0.0']\n    image: x/y\n",
    );
    const resolve = await catalogCommandResolver(file);

    await assert.rejects(
      resolve({ plugin_id: 'only-image', version: '2.0.0' }),
      /only-image@2\.0\.0 is not in the agent's catalog .*catalog\.yaml/,
    );
    await assert.rejects(
      resolve({ plugin_id: 'only-image', version: '1.0.0' }),
      /only-image has no process command/,
    );
  });
});
