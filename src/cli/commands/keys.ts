import { Command, Option } from 'commander';
import { loadOrCreateKeys, rotateSigningKey } from '../../auth/index.js';
import { defaultDataDir } from './token-create.js';

/**
 * `plugvisor keys rotate`: creates a new signing key in the data dir; the previous key keeps
 * verifying until its file (`keys/<kid>.pem`) is removed. Prints the new and previous kid.
 */
export function keysCommand(
  output: (text: string) => void = (t) => process.stdout.write(t),
): Command {
  const keys = new Command('keys').description('manage the server signing keys');

  keys
    .command('rotate')
    .description(
      'create a new signing key; the previous one stays accepted until its file is removed',
    )
    .option('--data-dir <dir>', 'the server data dir holding keys/', defaultDataDir())
    .addOption(
      new Option('--algorithm <alg>', 'key type').choices(['EdDSA', 'ES256']).default('EdDSA'),
    )
    .action(async (opts: { dataDir: string; algorithm: 'EdDSA' | 'ES256' }) => {
      const { kid, previousKid } = await rotateSigningKey(opts.dataDir, opts.algorithm);
      output(`new signing key: ${kid}\nprevious key:    ${previousKid ?? '(none)'}\n`);
    });

  keys
    .command('list')
    .description('list the kids the server accepts, signing key first')
    .option('--data-dir <dir>', 'the server data dir holding keys/', defaultDataDir())
    .action(async (opts: { dataDir: string }) => {
      const ring = await loadOrCreateKeys(opts.dataDir);
      output(
        ring
          .kids()
          .map((kid, i) => `${kid}${i === 0 ? '  (signing)' : ''}\n`)
          .join(''),
      );
    });

  return keys;
}
