import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidQueryError } from '../domain/errors.js';
import { supervisorResource } from '../store/resources.js';
import { parseListQuery } from './parse.js';
import { costlyRegexReason } from './regex-guard.js';

describe('the regex cost guard', () => {
  it('refuses repeated groups holding a quantifier or an alternation', () => {
    for (const p of ['^(a+)+$', '(a*)*', '(a|ab)*x', '(?:\\w?)+', '((a|a))+$', '(x+){2,}']) {
      assert.match(costlyRegexReason(p) ?? '', /repeated group/, p);
    }
  });

  it('refuses back-references and more than two unbounded quantifiers', () => {
    assert.match(costlyRegexReason('(a)\\1') ?? '', /back-references/);
    assert.match(costlyRegexReason('(?<x>a)\\k<x>') ?? '', /back-references/);
    assert.match(costlyRegexReason('.*.*.*x') ?? '', /at most 2 unbounded/);
    assert.match(costlyRegexReason('a+b{3,}c*') ?? '', /at most 2 unbounded/);
  });

  it('accepts the patterns people write', () => {
    for (const p of [
      '^web-',
      'prod$',
      '.*foo.*',
      '^sv-[0-9a-f]{12}$',
      '(foo|bar)',
      '(?:ab)?c',
      '[a+]+',
      '\\p{L}+',
      'ü',
      '(ab){2}',
      '\\d{1,3}\\.\\d+',
    ]) {
      assert.equal(costlyRegexReason(p), undefined, p);
    }
  });

  it('makes a list query with a catastrophic pattern an invalid query, quickly', () => {
    const started = Date.now();
    assert.throws(
      () =>
        parseListQuery(supervisorResource, {
          filter: [{ k: 'name', v: '^(a+)+$', o: 'regex' }],
        }),
      (e: unknown) => e instanceof InvalidQueryError && /repeated group/.test(e.message),
    );
    assert.throws(
      () =>
        parseListQuery(supervisorResource, {
          filter: [{ k: 'hostname', v: ['ok', '.*.*.*x'], o: 'regex_in' }],
        }),
      InvalidQueryError,
    );
    assert.ok(Date.now() - started < 1000);
  });
});
