import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthenticateFailureError } from '../domain/errors.js';
import { systemClock, type Clock } from '../domain/time.js';
import { loadOrCreateKeys, type KeyRing } from './keys.js';
import { mintToken, verifyToken } from './tokens.js';

/** Name of the file in the data dir that holds the local user's system token. */
export const LOCAL_TOKEN_FILE = 'token';

/** Environment variable a client command reads its token from, before the data dir's file. */
export const TOKEN_ENV = 'PLUGVISOR_TOKEN';

/** Lifetime of the local system token; `ensureLocalToken` renews it when a day or less is left. */
const LOCAL_TOKEN_TTL = '365d';
const RENEW_BEFORE_MS = 86_400_000;

/**
 * Makes sure `<dataDir>/token` (mode 0600) holds a valid SYSTEM token for the local user, minting
 * a new one with the data dir's keys when the file is missing, invalid (for example signed by a
 * removed key) or expires within a day. Used by `plugvisor up`; client commands then find the
 * token without flags.
 */
export async function ensureLocalToken(
  dataDir: string,
  options: { keys?: KeyRing; clock?: Clock } = {},
): Promise<{ path: string; token: string; minted: boolean }> {
  const keys = options.keys ?? (await loadOrCreateKeys(dataDir));
  const clock = options.clock ?? systemClock;
  const path = join(dataDir, LOCAL_TOKEN_FILE);

  const existing = await readLocalToken(dataDir);
  if (existing !== undefined && (await isUsable(keys, existing, clock))) {
    await chmod(path, 0o600);
    return { path, token: existing, minted: false };
  }

  const token = await mintToken(keys, { role: 'SYSTEM' }, { expiresIn: LOCAL_TOKEN_TTL, clock });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return { path, token, minted: true };
}

/** The token in `<dataDir>/token`, or undefined when there is no such file. */
export async function readLocalToken(dataDir: string): Promise<string | undefined> {
  try {
    const token = (await readFile(join(dataDir, LOCAL_TOKEN_FILE), 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The token a client command sends: an explicit `--token`, else `$PLUGVISOR_TOKEN`, else the
 * data dir's token file; undefined when none is set.
 */
export async function resolveClientToken(options: {
  explicit?: string | undefined;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<string | undefined> {
  if (options.explicit !== undefined && options.explicit !== '') return options.explicit;
  const fromEnv = (options.env ?? process.env)[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return readLocalToken(options.dataDir);
}

async function isUsable(keys: KeyRing, token: string, clock: Clock): Promise<boolean> {
  try {
    const claims = await verifyToken(keys, token, { clock });
    return (
      claims.role === 'SYSTEM' &&
      claims.expiresAt.getTime() - clock.now().getTime() > RENEW_BEFORE_MS
    );
  } catch (err) {
    if (err instanceof AuthenticateFailureError) return false;
    throw err;
  }
}
