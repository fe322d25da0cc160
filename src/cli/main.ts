import { Command, CommanderError } from 'commander';
import { keysCommand } from './commands/keys.js';
import { pluginCommand } from './commands/plugin.js';
import { serveCommand } from './commands/serve.js';
import { supervisorCommand } from './commands/supervisor.js';
import { tokenCommand } from './commands/token-create.js';

/** Exit code of a command line that could not be parsed (unknown option, missing argument). */
export const USAGE_EXIT_CODE = 2;

/**
 * Runs the `plugvisor` command line with `argv` (without node and the script); resolves to the
 * process exit code: 0 on success, 1 when the command failed, 2 on a usage error. Long-running
 * commands (serve) resolve when they have stopped.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    // --help and --version exit 0; a group run without its subcommand prints help with code 1.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    process.stderr.write(`plugvisor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return exitCode;
}

/** The command tree; each command lives in its own file under commands/. */
export function buildProgram(setExitCode: (code: number) => void = () => {}): Command {
  const program = new Command('plugvisor').description(
    "Plugin lifecycle manager speaking SpaceONE's spaceone.api.plugin.v1 API",
  );
  program.addCommand(serveCommand(setExitCode));
  program.addCommand(supervisorCommand(setExitCode));
  program.addCommand(pluginCommand(setExitCode));
  program.addCommand(tokenCommand());
  program.addCommand(keysCommand());
  throwInsteadOfExit(program);
  return program;
}

/**
 * Commands added with addCommand do not inherit the parent's settings, so every command of the
 * tree is told to throw instead of exiting the process (main maps the error to an exit code).
 */
function throwInsteadOfExit(command: Command): void {
  command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const sub of command.commands) throwInsteadOfExit(sub);
}
