import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, PermissionDeniedError, RequiredParameterError } from '../domain/errors.js';
import type { Caller } from '../service/caller.js';
import {
  API_METHODS,
  assertMayCall,
  assertMayManage,
  assertMayPublishAs,
  assertMaySee,
  assertMaySetPublic,
  effectiveDomain,
  pluginScope,
} from './policy.js';

const system: Caller = { role: 'SYSTEM', domainId: undefined, requestId: 'r' };
const systemInB: Caller = { role: 'SYSTEM', domainId: 'domain-b', requestId: 'r' };
const adminA: Caller = { role: 'DOMAIN_ADMIN', domainId: 'domain-a', requestId: 'r' };
const agentS: Caller = {
  role: 'SUPERVISOR',
  domainId: 'domain-a',
  supervisorName: 'S',
  requestId: 'r',
};

const own = {
  supervisor_id: 'supervisor-aaaaaaaaaaaa',
  domain_id: 'domain-a',
  is_public: false,
  name: 'S',
};
const ownPublic = { ...own, supervisor_id: 'supervisor-bbbbbbbbbbbb', is_public: true };
const foreign = { ...own, supervisor_id: 'supervisor-cccccccccccc', domain_id: 'domain-b' };

describe('the domain a request acts in', () => {
  it('never lets the body override a non-system token', () => {
    assert.equal(effectiveDomain(adminA, 'domain-b'), 'domain-a');
    assert.equal(effectiveDomain(agentS, 'domain-b'), 'domain-a');
    assert.equal(effectiveDomain(adminA, undefined), 'domain-a');
  });

  it('lets the system role choose, the body first, then metadata', () => {
    assert.equal(effectiveDomain(system, 'domain-b'), 'domain-b');
    assert.equal(effectiveDomain(systemInB, 'domain-a'), 'domain-a');
    assert.equal(effectiveDomain(systemInB, undefined), 'domain-b');
    assert.throws(() => effectiveDomain(system, undefined), RequiredParameterError);
    assert.throws(() => effectiveDomain(system, ''), RequiredParameterError);
  });
});

describe('who may call which method', () => {
  it('lets an agent call only publish, list_plugins and watch', () => {
    const allowed = API_METHODS.filter((m) => {
      try {
        assertMayCall(agentS, m);
        return true;
      } catch (err) {
        assert.ok(err instanceof PermissionDeniedError);
        return false;
      }
    });
    assert.deepEqual(allowed, ['publish', 'list_plugins', 'watch']);
    for (const m of API_METHODS) {
      assertMayCall(adminA, m);
      assertMayCall(system, m);
    }
  });

  it('lets only the system role set or change is_public', () => {
    assertMaySetPublic(system, true);
    assertMaySetPublic(adminA, undefined);
    assertMaySetPublic(adminA, false);
    assertMaySetPublic(adminA, true, true);
    assert.throws(() => assertMaySetPublic(adminA, true), PermissionDeniedError);
    assert.throws(() => assertMaySetPublic(agentS, true), PermissionDeniedError);
    assert.throws(() => assertMaySetPublic(adminA, false, true), PermissionDeniedError);
  });

  it('lets an agent publish only as its own supervisor', () => {
    assertMayPublishAs(agentS, 'S');
    assertMayPublishAs(adminA, 'anything');
    assert.throws(() => assertMayPublishAs(agentS, 'T'), PermissionDeniedError);
  });
});

describe('seeing and managing supervisors', () => {
  it("reports another domain's supervisor as not found, never as forbidden", () => {
    assert.throws(
      () => assertMaySee(adminA, 'domain-a', foreign, foreign.supervisor_id),
      (err: unknown) => err instanceof NotFoundError && err.message.includes(foreign.supervisor_id),
    );
    assert.throws(
      () => assertMayManage(adminA, 'domain-a', foreign, foreign.supervisor_id),
      NotFoundError,
    );
    assert.throws(
      () => assertMaySee(adminA, 'domain-a', undefined, 'supervisor-000000000000'),
      NotFoundError,
    );
    assertMaySee(adminA, 'domain-a', own, own.supervisor_id);
    assertMayManage(adminA, 'domain-a', own, own.supervisor_id);
  });

  it('lets only the system role manage a public supervisor', () => {
    assertMaySee(adminA, 'domain-a', ownPublic, ownPublic.supervisor_id);
    assert.throws(
      () => assertMayManage(adminA, 'domain-a', ownPublic, ownPublic.supervisor_id),
      PermissionDeniedError,
    );
    assertMayManage(system, 'domain-a', ownPublic, ownPublic.supervisor_id);
  });

  it("narrows an agent's list_plugins to its own supervisor name", () => {
    assert.deepEqual(pluginScope(agentS, 'domain-b'), {
      domainId: 'domain-a',
      supervisorName: 'S',
    });
    assert.deepEqual(pluginScope(adminA, 'domain-b'), { domainId: 'domain-a' });
    assert.deepEqual(pluginScope(system, 'domain-b'), { domainId: 'domain-b' });
  });
});
