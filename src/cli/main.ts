import { Command, CommanderError } from 'commander';
import { serveCommand } from './commands/serve.js';

/**
 * Runs the `plugvisor` command line with `argv` (without node and the script); resolves to the
 * process exit code. Long-running commands (serve) resolve when they have stopped.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('plugvisor')
    .description("Plugin lifecycle manager speaking SpaceONE's spaceone.api.plugin.v1 API")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode = 0;
  program.addCommand(serveCommand((code) => (exitCode = code)));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}
