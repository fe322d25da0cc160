import { Command, CommanderError } from 'commander';
import { agentCommand } from './commands/agent.js';
import { keysCommand } from './commands/keys.js';
import { pluginCommand } from './commands/plugin.js';
import { serveCommand } from './commands/serve.js';
import { upCommand } from './commands/up.js';
import { supervisorCommand } from './commands/supervisor.js';
import { tokenCommand } from './commands/token-create.js';
import { PROCESS_IO, type CommandIo } from './run-client.js';

/** Exit code of a command line that could not be parsed (unknown option, missing argument). */
export const USAGE_EXIT_CODE = 2;

/**
 * Runs the `plugvisor` command line with `argv` (without node and the script); resolves to the
 * process exit code: 0 on success, 1 when the command failed, 2 on a usage error. Long-running
 * commands (serve) resolve when they have stopped.
 */
export async function main(argv: string[], io: CommandIo = PROCESS_IO): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code), io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    // --help and --version exit 0; a group run without its subcommand prints help with code 1.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    io.err(`plugvisor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return exitCode;
}

/**
 * The command tree; each command lives in its own file under commands/. The client and key
 * commands write to `io` (serve logs to the process streams).
 */
export function buildProgram(
  setExitCode: (code: number) => void = () => {},
  io: CommandIo = PROCESS_IO,
): Command {
  const program = new Command('plugvisor').description(
    "Plugin lifecycle manager speaking SpaceONE's spaceone.api.plugin.v1 API",
  );
  program.addCommand(serveCommand(setExitCode));
  program.addCommand(agentCommand(setExitCode));
  program.addCommand(upCommand(setExitCode));
  program.addCommand(supervisorCommand(setExitCode, io));
  program.addCommand(pluginCommand(setExitCode, io));
  program.addCommand(tokenCommand(io.out));
  program.addCommand(keysCommand(io.out));
  throwInsteadOfExit(program, io);
  return program;
}

/**
 * Commands added with addCommand do not inherit the parent's settings, so every command of the
 * tree is told to throw instead of exiting the process (main maps the error to an exit code).
 */
function throwInsteadOfExit(command: Command, io: CommandIo): void {
  command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const sub of command.commands) throwInsteadOfExit(sub, io);
}
