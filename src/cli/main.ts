import { Command, CommanderError } from 'commander';
import { keysCommand } from './commands/keys.js';
import { tokenCommand } from './commands/token-create.js';

/** Runs the `plugvisor` command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`plugvisor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The command tree; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('plugvisor')
    .description('plugin lifecycle manager speaking spaceone.api.plugin.v1')
    .exitOverride();
  program.addCommand(tokenCommand().exitOverride());
  program.addCommand(keysCommand().exitOverride());
  return program;
}
