import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { LOCAL_TOKEN_FILE } from '../auth/index.js';
import { ApiError, type ClientOptions, type UnaryClient } from '../transport/client/index.js';
import {
  resolveClientContext,
  type ClientContext,
  type ClientOptionValues,
} from './client-options.js';

/** Where a client command writes; the process streams unless a test passes its own. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The process's stdout and stderr. */
export const PROCESS_IO: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs a client command's work with its options (see `clientRunner`). */
export type ClientRunner = (
  options: ClientOptionValues,
  work: (ctx: ClientContext) => Promise<string>,
) => Promise<void>;

/** `runClientCommand` bound to the output streams and the exit code setter of one program. */
export function clientRunner(io: CommandIo, setExitCode: (code: number) => void): ClientRunner {
  return (options, work) => runClientCommand(options, io, setExitCode, work);
}

/**
 * Runs one client command: resolves the client options, runs `work`, and reports a failure as
 * one line `plugvisor: ERROR_CODE: message` on stderr with exit code 1. A control plane that
 * cannot be reached, does not answer in time or lacks the method gets a line saying which address
 * was tried and what to do; a refused request sent without a token says where one was looked for.
 */
export async function runClientCommand(
  options: ClientOptionValues,
  io: CommandIo,
  setExitCode: (code: number) => void,
  work: (ctx: ClientContext) => Promise<string>,
): Promise<void> {
  let ctx: ClientContext | undefined;
  try {
    ctx = await resolveClientContext(options);
    io.out(await work(ctx));
  } catch (err) {
    const hint = ctx?.token === undefined ? missingTokenHint(err, options.dataDir) : '';
    io.err(`plugvisor: ${describeFailure(err, ctx ?? fallbackContext(options))}${hint}\n`);
    setExitCode(1);
  }
}

/**
 * Opens a client of the control plane with the context's address, token and deadline, runs
 * `work` with it, and closes it again whatever happens.
 */
export async function withClient<C extends UnaryClient, T>(
  ctx: ClientContext,
  make: new (address: string, options: ClientOptions) => C,
  work: (client: C) => Promise<T>,
): Promise<T> {
  const client = new make(ctx.address, {
    ...(ctx.token !== undefined && { token: ctx.token }),
    timeoutMs: ctx.timeoutMs,
  });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** The `ERROR_CODE: message` text of a failed client command. */
export function describeFailure(
  err: unknown,
  ctx: Pick<ClientContext, 'address' | 'timeoutMs'>,
): string {
  if (!(err instanceof ApiError))
    return `ERROR_CLIENT: ${err instanceof Error ? err.message : String(err)}`;
  if (!err.code.startsWith('GRPC_')) return `${err.code}: ${oneLine(err.message)}`;

  switch (err.grpcStatus) {
    case status.UNAVAILABLE:
      return `ERROR_CONNECTION: cannot reach the control plane at ${ctx.address} (${connectReason(err.message)}); start one with \`plugvisor up\`, or point --address / PLUGVISOR_ADDRESS at a running one`;
    case status.DEADLINE_EXCEEDED:
      return `ERROR_TIMEOUT: no answer from the control plane at ${ctx.address} within ${ctx.timeoutMs / 1000}s (raise it with --timeout)`;
    case status.UNIMPLEMENTED:
      return `ERROR_UNIMPLEMENTED: the control plane at ${ctx.address} does not serve this method (${oneLine(err.message)}); is it an older Plugvisor?`;
    default:
      return `${err.code}: ${oneLine(err.message)}`;
  }
}

/** When the server wants a token and none was sent, where the client looked for one. */
function missingTokenHint(err: unknown, dataDir: string): string {
  if (!(err instanceof ApiError) || err.code !== 'ERROR_AUTHENTICATE_FAILURE') return '';
  return `; no token was sent (none in --token, PLUGVISOR_TOKEN or ${join(dataDir, LOCAL_TOKEN_FILE)}): run in the directory of \`plugvisor up\`, or pass --data-dir or --token`;
}

function connectReason(details: string): string {
  const match = /(connect E[A-Z]+|getaddrinfo E[A-Z]+|Name resolution failed[^,;]*)/.exec(details);
  return match?.[1] ?? oneLine(details);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function fallbackContext(
  options: ClientOptionValues,
): Pick<ClientContext, 'address' | 'timeoutMs'> {
  return { address: options.address, timeoutMs: options.timeout * 1000 };
}
