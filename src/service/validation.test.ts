import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError, RequiredParameterError } from '../domain/index.js';
import { parseRequest, supervisorRequests } from './validation.js';

function failure(schema: keyof typeof supervisorRequests, input: unknown): unknown {
  try {
    parseRequest(supervisorRequests[schema], input);
  } catch (err) {
    return err;
  }
  return assert.fail('expected the request to be refused');
}

describe('request validation', () => {
  it('names a missing, null or empty required key as a required parameter', () => {
    for (const hostname of [undefined, null, '']) {
      const err = failure('publish', { name: 'n', hostname, domain_id: 'd' });
      assert.ok(err instanceof RequiredParameterError);
      assert.equal(err.key, 'hostname');
    }
  });

  it('names a key of the wrong type as an invalid parameter', () => {
    const err = failure('publish', { name: 7, hostname: 'h' });
    assert.ok(err instanceof InvalidParameterError);
    assert.equal(err.key, 'name');
    assert.match(err.message, /expected string/);
  });

  it('names nested keys with their path', () => {
    const err = failure('publish', {
      name: 'n',
      hostname: 'h',
      plugin_info: [{ plugin_id: 'p', version: 1 }],
    });
    assert.ok(err instanceof InvalidParameterError);
    assert.equal(err.key, 'plugin_info[0].version');
  });

  it('refuses over-long text, non-integer priorities and unknown plugin states', () => {
    assert.ok(
      failure('publish', { name: 'n', hostname: 'h'.repeat(256) }) instanceof InvalidParameterError,
    );
    assert.ok(
      failure('register', { supervisor_id: 's', priority: 1.5 }) instanceof InvalidParameterError,
    );
    assert.ok(failure('listPlugins', { state: 'RUNNING' }) instanceof InvalidParameterError);
    assert.ok(failure('publish', [1, 2]) instanceof InvalidParameterError);
  });

  it('refuses text with a lone surrogate, which the store would silently replace', () => {
    const err = failure('publish', { name: 'n', hostname: 'h\ud800', domain_id: 'd' });
    assert.ok(err instanceof InvalidParameterError);
    assert.match(err.message, /hostname.*well-formed Unicode/);
    const ok = parseRequest(supervisorRequests.publish, {
      name: 'Überwachung 😀',
      hostname: 'h',
      domain_id: 'd',
    });
    assert.equal(ok.name, 'Überwachung 😀');
  });

  it('treats null optional fields as absent and NONE states as no filter', () => {
    const publish = parseRequest(supervisorRequests.publish, {
      name: 'n',
      hostname: 'h',
      tags: null,
      is_public: null,
    });
    assert.equal(publish.tags, undefined);
    assert.equal(publish.is_public, undefined);
    assert.equal(parseRequest(supervisorRequests.listPlugins, { state: 'NONE' }).state, undefined);
  });
});
