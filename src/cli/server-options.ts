import { Option, type Command } from 'commander';
import { SERVE_DEFAULTS, SERVE_ENV } from '../config/index.js';

/**
 * Adds the options `serve` and `up` share (where they listen, where data lives, which catalog,
 * how much they log), each also read from its `PLUGVISOR_*` environment variable.
 * `dataDirHelp` says what the data directory holds for that command.
 */
export function addServerOptions(command: Command, dataDirHelp: string): Command {
  return command
    .addOption(
      new Option(
        '--grpc-port <port>',
        `gRPC port (default ${SERVE_DEFAULTS.grpc_port}; 0 picks a free one)`,
      ).env(SERVE_ENV.grpc_port),
    )
    .addOption(
      new Option(
        '--http-port <port>',
        `REST port (default ${SERVE_DEFAULTS.http_port}; 0 picks a free one)`,
      ).env(SERVE_ENV.http_port),
    )
    .addOption(
      new Option('--host <host>', `address to listen on (default ${SERVE_DEFAULTS.host})`).env(
        SERVE_ENV.host,
      ),
    )
    .addOption(
      new Option('--data-dir <dir>', `${dataDirHelp} (default ${SERVE_DEFAULTS.data_dir})`).env(
        SERVE_ENV.data_dir,
      ),
    )
    .addOption(
      new Option('--log-level <level>', `log level (default ${SERVE_DEFAULTS.log_level})`).env(
        SERVE_ENV.log_level,
      ),
    )
    .addOption(
      new Option('--catalog <file>', 'plugin catalog YAML (default catalog/default.yaml)').env(
        SERVE_ENV.catalog,
      ),
    );
}
