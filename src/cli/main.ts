import { Command, CommanderError } from 'commander';
import { agentCommand } from './commands/agent.js';
import { keysCommand } from './commands/keys.js';
import { serveCommand } from './commands/serve.js';
import { upCommand } from './commands/up.js';
import { tokenCommand } from './commands/token-create.js';

/**
 * Runs the `plugvisor` command line with `argv` (without node and the script); resolves to the
 * process exit code. Long-running commands (serve) resolve when they have stopped.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`plugvisor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return exitCode;
}

/** The command tree; each command lives in its own file under commands/. */
export function buildProgram(setExitCode: (code: number) => void = () => {}): Command {
  const program = new Command('plugvisor')
    .description("Plugin lifecycle manager speaking SpaceONE's spaceone.api.plugin.v1 API")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(serveCommand(setExitCode));
  program.addCommand(agentCommand(setExitCode));
  program.addCommand(upCommand(setExitCode));
  program.addCommand(tokenCommand().exitOverride());
  program.addCommand(keysCommand().exitOverride());
  return program;
}
