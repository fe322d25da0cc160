import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthenticateFailureError, InvalidParameterError } from '../domain/errors.js';
import type { Clock } from '../domain/time.js';
import { loadOrCreateKeys, type KeyRing } from './keys.js';
import { mintToken, verifyToken } from './tokens.js';

let dataDir: string;
let keys: KeyRing;
let otherKeys: KeyRing;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pv-tokens-'));
  keys = await loadOrCreateKeys(join(dataDir, 'a'));
  otherKeys = await loadOrCreateKeys(join(dataDir, 'b'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const systemPayload = () => ({
  role: 'SYSTEM',
  iss: 'plugvisor',
  aud: 'plugvisor',
  iat: nowSeconds(),
  exp: nowSeconds() + 600,
});

/** Refused with AuthenticateFailureError whose message has `reason` and never the token. */
async function assertRefused(token: string, reason: RegExp, ring: KeyRing = keys): Promise<void> {
  await assert.rejects(verifyToken(ring, token), (err: unknown) => {
    assert.ok(
      err instanceof AuthenticateFailureError,
      `not an AuthenticateFailureError: ${String(err)}`,
    );
    assert.match(err.message, reason);
    assert.ok(!err.message.includes(token.split('.')[1] ?? token), 'message contains the token');
    return true;
  });
}

describe('minting and verifying tokens', () => {
  it('round-trips each role with its claims', async () => {
    const system = await verifyToken(keys, await mintToken(keys, { role: 'SYSTEM' }));
    assert.deepEqual(
      { role: system.role, domainId: system.domainId },
      { role: 'SYSTEM', domainId: undefined },
    );

    const admin = await verifyToken(
      keys,
      await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId: 'domain-a' }),
    );
    assert.equal(admin.role, 'DOMAIN_ADMIN');
    assert.equal(admin.domainId, 'domain-a');

    const agent = await verifyToken(
      keys,
      await mintToken(keys, { role: 'SUPERVISOR', domainId: 'domain-a', supervisorName: 'edge-1' }),
    );
    assert.deepEqual(
      [agent.role, agent.domainId, agent.supervisorName],
      ['SUPERVISOR', 'domain-a', 'edge-1'],
    );
    assert.match(agent.tokenId, /^[0-9a-f-]{36}$/);
  });

  it('puts the signing kid and algorithm in the header', async () => {
    const token = await mintToken(keys, { role: 'SYSTEM' });
    const header = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    assert.deepEqual(header, { alg: 'EdDSA', kid: keys.signing.kid, typ: 'JWT' });
  });

  it('sets the expiry from expiresIn and the clock', async () => {
    const clock: Clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
    const token = await mintToken(keys, { role: 'SYSTEM' }, { expiresIn: '2h', clock });
    const claims = await verifyToken(keys, token, { clock });
    assert.equal(claims.expiresAt.toISOString(), '2026-01-01T02:00:00.000Z');
  });

  it('refuses to mint claims that do not fit the role, naming the claim', async () => {
    const cases = [
      [{ role: 'DOMAIN_ADMIN' }, 'domain_id'],
      [{ role: 'SUPERVISOR', domainId: 'd' }, 'supervisor_name'],
      [{ role: 'DOMAIN_ADMIN', domainId: 'd', supervisorName: 'x' }, 'supervisor_name'],
      [{ role: 'ROOT' }, 'role'],
    ] as const;
    for (const [claims, field] of cases) {
      await assert.rejects(
        mintToken(keys, claims as never),
        (err: unknown) => err instanceof InvalidParameterError && err.key === field,
      );
    }
    await assert.rejects(mintToken(keys, { role: 'SYSTEM' }, { expiresIn: 'soon' }), /expires_in/);
    await assert.rejects(mintToken(keys, { role: 'SYSTEM' }, { expiresIn: '4000d' }), /expires_in/);
  });
});

describe('refused tokens', () => {
  it('refuses an expired token', async () => {
    const past: Clock = { now: () => new Date(Date.now() - 3_600_000) };
    await assertRefused(
      await mintToken(keys, { role: 'SYSTEM' }, { expiresIn: '10m', clock: past }),
      /expired/,
    );
  });

  it('refuses a token signed by another key', async () => {
    await assertRefused(await mintToken(otherKeys, { role: 'SYSTEM' }), /unknown key/);
  });

  it('refuses a token signed by another key that claims our kid', async () => {
    const forged = generateKeyPairSync('ed25519');
    const head = b64({ alg: 'EdDSA', kid: keys.signing.kid });
    const body = b64(systemPayload());
    const signature = sign(null, Buffer.from(`${head}.${body}`), forged.privateKey).toString(
      'base64url',
    );
    await assertRefused(`${head}.${body}.${signature}`, /signature invalid/);
  });

  it('refuses alg none, crafted by hand, with and without our kid', async () => {
    for (const header of [
      { alg: 'none' },
      { alg: 'none', kid: keys.signing.kid },
      { alg: 'NONE', kid: keys.signing.kid },
    ]) {
      await assertRefused(`${b64(header)}.${b64(systemPayload())}.`, /algorithm not allowed/);
    }
  });

  it('refuses HS256 signed with the public key as the HMAC secret (key confusion)', async () => {
    const publicPem = keys.signing.publicKey.export({ format: 'pem', type: 'spki' });
    const head = b64({ alg: 'HS256', kid: keys.signing.kid });
    const body = b64(systemPayload());
    const mac = createHmac('sha256', publicPem).update(`${head}.${body}`).digest('base64url');
    await assertRefused(`${head}.${body}.${mac}`, /algorithm not allowed/);
  });

  it('refuses an ES256 header on an Ed25519 key', async () => {
    const head = b64({ alg: 'ES256', kid: keys.signing.kid });
    await assertRefused(`${head}.${b64(systemPayload())}.AAAA`, /does not match its key/);
  });

  it('refuses a token without exp, or for another audience, or with incomplete claims', async () => {
    const signWith = (payload: Record<string, unknown>) => {
      const head = b64({ alg: 'EdDSA', kid: keys.signing.kid });
      const body = b64(payload);
      const sig = sign(null, Buffer.from(`${head}.${body}`), keys.signing.privateKey).toString(
        'base64url',
      );
      return `${head}.${body}.${sig}`;
    };
    const noExp: Record<string, unknown> = systemPayload();
    delete noExp.exp;
    await assertRefused(signWith(noExp), /claim exp/);
    await assertRefused(signWith({ ...systemPayload(), aud: 'someone-else' }), /claim aud/);
    await assertRefused(signWith({ ...systemPayload(), role: 'DOMAIN_ADMIN' }), /claim domain_id/);
    await assertRefused(
      signWith({ ...systemPayload(), role: 'SUPERVISOR', domain_id: 'd' }),
      /claim supervisor_name/,
    );
    await assertRefused(signWith({ ...systemPayload(), role: 'ROOT' }), /claim role/);
  });

  it('refuses garbage and empty tokens', async () => {
    await assertRefused('not-a-token', /malformed/);
    await assertRefused('a.b.c', /malformed/);
    await assert.rejects(verifyToken(keys, ''), /empty token/);
  });
});
