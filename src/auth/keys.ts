import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** Token signature algorithms the server signs with and accepts; nothing else is ever accepted. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key that tokens may be verified with, identified by `kid` (its RFC 7638 JWK thumbprint). */
export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: KeyObject;
}

/** The key new tokens are signed with. */
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

/** How the server finds its keys; without `signingKeyFile` they live in `<dataDir>/keys/`. */
export interface KeyOptions {
  /** Algorithm of a key created on first start (default EdDSA, i.e. Ed25519). */
  algorithm?: SigningAlgorithm;
  /** A configured private key (PEM) to sign with, instead of the data dir's keys. */
  signingKeyFile?: string;
  /** With `signingKeyFile`: further keys (PEM, public or private) still accepted for verification. */
  verificationKeyFiles?: string[];
}

/**
 * The server's signing key and every key it still accepts. Data-dir layout: `keys/` (mode 0700)
 * holds one `<kid>.pem` per key (PKCS#8 private key, mode 0600) and `current`, which names the
 * kid that signs. Every `.pem` in the folder verifies, so a rotated-out key keeps being accepted
 * until its file is removed and the ring is reloaded.
 */
export class KeyRing {
  #signing: SigningKey;
  #verification: Map<string, VerificationKey>;

  constructor(
    readonly source: KeySource,
    signing: SigningKey,
    verification: Map<string, VerificationKey>,
  ) {
    this.#signing = signing;
    this.#verification = verification;
  }

  /** The key new tokens are signed with. */
  get signing(): SigningKey {
    return this.#signing;
  }

  /** The verification key with this kid, or undefined when the server does not (or no longer) trusts it. */
  find(kid: string): VerificationKey | undefined {
    return this.#verification.get(kid);
  }

  /** The kids currently accepted, signing key first. */
  kids(): string[] {
    const others = [...this.#verification.keys()].filter((kid) => kid !== this.#signing.kid);
    return [this.#signing.kid, ...others.sort()];
  }

  /**
   * Reads the key files again (after a rotation or the removal of an old key). On failure the
   * ring keeps its previous keys and the error is thrown.
   */
  async reload(): Promise<void> {
    const fresh = await readKeySource(this.source);
    this.#signing = fresh.signing;
    this.#verification = fresh.verification;
  }
}

/** Where a key ring's keys come from, kept so that `reload` reads the same place. */
export type KeySource =
  | { kind: 'data-dir'; keysDir: string }
  | { kind: 'files'; signingKeyFile: string; verificationKeyFiles: string[] };

/**
 * The server's keys: the configured `signingKeyFile` if given, else the keys in
 * `<dataDir>/keys/`, creating the folder (0700) and a first key (0600) on first start.
 *
 * @throws Error naming the file when a key cannot be read, is of an unsupported type, is readable
 *   by other users (data-dir keys only), or when `keys/current` names a key that is missing.
 */
export async function loadOrCreateKeys(
  dataDir: string,
  options: KeyOptions = {},
): Promise<KeyRing> {
  if (options.signingKeyFile !== undefined) {
    const source: KeySource = {
      kind: 'files',
      signingKeyFile: options.signingKeyFile,
      verificationKeyFiles: options.verificationKeyFiles ?? [],
    };
    const keys = await readKeySource(source);
    return new KeyRing(source, keys.signing, keys.verification);
  }

  const keysDir = keysDirOf(dataDir);
  await ensureKeysDir(keysDir);
  if (!(await exists(join(keysDir, CURRENT_FILE)))) {
    await createFirstKey(keysDir, options.algorithm ?? 'EdDSA');
  }

  const source: KeySource = { kind: 'data-dir', keysDir };
  const keys = await readKeySource(source);
  return new KeyRing(source, keys.signing, keys.verification);
}

/**
 * Creates a new signing key in `<dataDir>/keys/` and makes it current. The previous keys stay
 * accepted until their files are removed. Running servers pick the new key up on their next
 * reload. Returns the new and the previous kid.
 */
export async function rotateSigningKey(
  dataDir: string,
  algorithm: SigningAlgorithm = 'EdDSA',
): Promise<{ kid: string; previousKid: string | undefined }> {
  const keysDir = keysDirOf(dataDir);
  await ensureKeysDir(keysDir);
  const previousKid = await readCurrentKid(keysDir).catch(() => undefined);

  const kid = await writeNewKey(keysDir, algorithm);
  const tmp = join(keysDir, `${CURRENT_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${kid}\n`, { mode: 0o600 });
  await rename(tmp, join(keysDir, CURRENT_FILE));
  return { kid, previousKid };
}

/** The folder holding a data dir's keys. */
export function keysDirOf(dataDir: string): string {
  return join(dataDir, 'keys');
}

const CURRENT_FILE = 'current';

async function readKeySource(
  source: KeySource,
): Promise<{ signing: SigningKey; verification: Map<string, VerificationKey> }> {
  return source.kind === 'files' ? readConfiguredKeys(source) : readDataDirKeys(source.keysDir);
}

async function readConfiguredKeys(source: Extract<KeySource, { kind: 'files' }>) {
  const signing = await readSigningKey(source.signingKeyFile, { checkMode: false });
  const verification = new Map<string, VerificationKey>([[signing.kid, signing]]);
  for (const file of source.verificationKeyFiles) {
    const key = await readVerificationKey(file);
    verification.set(key.kid, key);
  }
  return { signing, verification };
}

async function readDataDirKeys(keysDir: string) {
  const currentKid = await readCurrentKid(keysDir);
  const verification = new Map<string, VerificationKey>();
  let signing: SigningKey | undefined;

  for (const name of (await readdir(keysDir)).filter((n) => n.endsWith('.pem')).sort()) {
    const key = await readSigningKey(join(keysDir, name), { checkMode: true });
    verification.set(key.kid, key);
    if (key.kid === currentKid) signing = key;
  }

  if (signing === undefined) {
    throw new Error(`signing key ${currentKid} named by ${join(keysDir, CURRENT_FILE)} is missing`);
  }
  return { signing, verification };
}

async function readCurrentKid(keysDir: string): Promise<string> {
  const kid = (await readFile(join(keysDir, CURRENT_FILE), 'utf8')).trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(kid)) {
    throw new Error(`${join(keysDir, CURRENT_FILE)} does not hold a key id`);
  }
  return kid;
}

async function readSigningKey(file: string, opts: { checkMode: boolean }): Promise<SigningKey> {
  if (opts.checkMode) await assertPrivateFile(file);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(file));
  } catch (err) {
    throw new Error(`cannot read private key ${file}: ${describeError(err)}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { ...(await describePublicKey(publicKey, file)), privateKey };
}

async function readVerificationKey(file: string): Promise<VerificationKey> {
  let publicKey: KeyObject;
  try {
    const pem = await readFile(file, 'utf8');
    publicKey = pem.includes('PRIVATE KEY')
      ? createPublicKey(createPrivateKey(pem))
      : createPublicKey(pem);
  } catch (err) {
    throw new Error(`cannot read verification key ${file}: ${describeError(err)}`);
  }
  return describePublicKey(publicKey, file);
}

async function describePublicKey(publicKey: KeyObject, file: string): Promise<VerificationKey> {
  const alg = algorithmOf(publicKey);
  if (alg === undefined) {
    throw new Error(
      `key ${file} is not an Ed25519 or P-256 key (only EdDSA and ES256 are supported)`,
    );
  }
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
  return { kid, alg, publicKey };
}

function algorithmOf(key: KeyObject): SigningAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  return undefined;
}

async function ensureKeysDir(keysDir: string): Promise<void> {
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and ignored for an existing folder: set it explicitly.
  await chmod(keysDir, 0o700);
}

/**
 * Creates the first key and publishes it as current with an exclusive create, so that two
 * processes starting at once on one data dir agree on a single signing key.
 */
async function createFirstKey(keysDir: string, algorithm: SigningAlgorithm): Promise<void> {
  const kid = await writeNewKey(keysDir, algorithm);
  try {
    await writeFile(join(keysDir, CURRENT_FILE), `${kid}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(join(keysDir, `${kid}.pem`));
  }
}

async function writeNewKey(keysDir: string, algorithm: SigningAlgorithm): Promise<string> {
  const { privateKey, publicKey } =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  await writeFile(join(keysDir, `${kid}.pem`), pem, { mode: 0o600, flag: 'wx' });
  return kid;
}

async function assertPrivateFile(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `key file ${file} is accessible by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
