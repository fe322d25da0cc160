import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AuthenticateFailureError } from '../domain/errors.js';
import { createAuthenticator, tokenFromAuthorization, tokenFromMetadata } from './authenticator.js';
import { loadOrCreateKeys, type KeyRing } from './keys.js';
import { mintToken } from './tokens.js';

let dir: string;
let keys: KeyRing;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pv-authn-'));
  keys = await loadOrCreateKeys(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('authenticating a request', () => {
  it('lets a system token target a domain with x_domain_id, else its own domain claim', async () => {
    const auth = createAuthenticator({ keys });
    const token = await mintToken(keys, { role: 'SYSTEM' });
    const caller = await auth.authenticate({ token, xDomainId: 'domain-b', requestId: 'r1' });
    assert.deepEqual(caller, { role: 'SYSTEM', domainId: 'domain-b', requestId: 'r1' });

    const plain = await auth.authenticate({ token, requestId: 'r2' });
    assert.equal(plain.domainId, undefined);

    const withDomain = await mintToken(keys, { role: 'SYSTEM', domainId: 'domain-s' });
    assert.equal(
      (await auth.authenticate({ token: withDomain, requestId: 'r3' })).domainId,
      'domain-s',
    );
  });

  it('ignores x_domain_id for a domain admin and an agent', async () => {
    const auth = createAuthenticator({ keys });
    const admin = await mintToken(keys, { role: 'DOMAIN_ADMIN', domainId: 'domain-a' });
    const caller = await auth.authenticate({ token: admin, xDomainId: 'domain-b', requestId: 'r' });
    assert.deepEqual(caller, { role: 'DOMAIN_ADMIN', domainId: 'domain-a', requestId: 'r' });

    const agent = await mintToken(keys, {
      role: 'SUPERVISOR',
      domainId: 'domain-a',
      supervisorName: 's',
    });
    const agentCaller = await auth.authenticate({
      token: agent,
      xDomainId: 'domain-b',
      requestId: 'r',
    });
    assert.deepEqual(agentCaller, {
      role: 'SUPERVISOR',
      domainId: 'domain-a',
      supervisorName: 's',
      requestId: 'r',
    });
  });

  it('refuses a request without a token', async () => {
    const auth = createAuthenticator({ keys });
    await assert.rejects(
      auth.authenticate({ token: undefined, requestId: 'r' }),
      (err: unknown) => err instanceof AuthenticateFailureError && /no token/.test(err.message),
    );
  });

  it('runs every request as SYSTEM when disabled, and says so loudly at warn', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => (lines.push(String(chunk)), done()),
    });
    const auth = createAuthenticator({ disabled: true, logger: pino(sink) });
    assert.equal(auth.isDisabled, true);
    const caller = await auth.authenticate({
      token: 'whatever',
      xDomainId: 'domain-a',
      requestId: 'r',
    });
    assert.deepEqual(caller, { role: 'SYSTEM', domainId: 'domain-a', requestId: 'r' });
    const warn = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 40);
    assert.match(warn?.msg ?? '', /Authentication is DISABLED/);
  });
});

describe('reading the token from a request', () => {
  it('reads a Bearer Authorization header and refuses other schemes', () => {
    assert.equal(tokenFromAuthorization('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(tokenFromAuthorization('bearer   abc'), 'abc');
    assert.equal(tokenFromAuthorization(undefined), undefined);
    assert.throws(() => tokenFromAuthorization('Basic dXNlcjpwYXNz'), AuthenticateFailureError);
    assert.throws(() => tokenFromAuthorization('Bearer a b'), AuthenticateFailureError);
  });

  it('reads gRPC metadata token with or without a Bearer prefix', () => {
    assert.equal(tokenFromMetadata('abc'), 'abc');
    assert.equal(tokenFromMetadata('Bearer abc'), 'abc');
    assert.equal(tokenFromMetadata(Buffer.from('abc')), 'abc');
    assert.equal(tokenFromMetadata(' '), undefined);
    assert.equal(tokenFromMetadata(undefined), undefined);
  });
});
