import type { Logger } from 'pino';
import {
  createAuthenticator,
  loadOrCreateKeys,
  type Authenticator,
  type KeyRing,
} from '../auth/index.js';
import type { ServeConfig } from '../config/index.js';
import type { Clock } from '../domain/index.js';

/** How often a running server re-reads its key files by default (rotation, removal). */
export const DEFAULT_KEY_RELOAD_INTERVAL_MS = 60_000;

/** The auth settings of a control plane; everything but the data dir is optional. */
export type AuthConfig = Pick<ServeConfig, 'dataDir'> &
  Partial<Pick<ServeConfig, 'authDisabled' | 'signingKeyFile' | 'verificationKeyFiles'>> & {
    keyReloadIntervalMs?: number;
  };

/** The authenticator of a running control plane and the keys behind it. */
export interface AuthSetup {
  authenticator: Authenticator;
  /** The key ring, or undefined when authentication is disabled. */
  keys: KeyRing | undefined;
  /** Re-reads the key files now; logs and keeps the old keys when that fails. */
  reloadKeys(): Promise<void>;
  stop(): void;
}

/**
 * Loads (or creates, on first start) the signing keys and builds the authenticator, then re-reads
 * the key files every `keyReloadIntervalMs` so that a rotation or a removed key takes effect
 * without a restart. With `authDisabled` no keys are touched and the authenticator logs its
 * warning.
 */
export async function setUpAuth(
  config: AuthConfig,
  logger: Logger,
  clock: Clock | undefined,
): Promise<AuthSetup> {
  if (config.authDisabled === true) {
    const authenticator = createAuthenticator({ disabled: true, logger });
    return { authenticator, keys: undefined, reloadKeys: () => Promise.resolve(), stop: () => {} };
  }

  const keys = await loadOrCreateKeys(config.dataDir, {
    ...(config.signingKeyFile !== undefined && { signingKeyFile: config.signingKeyFile }),
    verificationKeyFiles: config.verificationKeyFiles ?? [],
  });
  logger.info({ kids: keys.kids(), source: keys.source.kind }, 'Token signing keys loaded');

  const reloadKeys = async (): Promise<void> => {
    const before = keys.kids().join(',');
    try {
      await keys.reload();
    } catch (err) {
      logger.warn({ err }, 'Token signing keys could not be re-read; keeping the previous ones');
      return;
    }
    if (keys.kids().join(',') !== before)
      logger.info({ kids: keys.kids() }, 'Token signing keys changed');
  };
  const timer = setInterval(
    () => void reloadKeys(),
    config.keyReloadIntervalMs ?? DEFAULT_KEY_RELOAD_INTERVAL_MS,
  ).unref();

  const authenticator = createAuthenticator({ keys, ...(clock !== undefined && { clock }) });
  return { authenticator, keys, reloadKeys, stop: () => clearInterval(timer) };
}
