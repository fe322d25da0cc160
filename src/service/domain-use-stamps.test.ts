import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMAIN_STAMP_INTERVAL_MS, DomainUseStamps } from './domain-use-stamps.js';

describe('throttling domain use stamps', () => {
  it('is due once per interval for each id, and again when the clock goes back', () => {
    const stamps = new DomainUseStamps();
    assert.equal(stamps.isDue('a', 10_000), true, 'never written');
    stamps.written('a', 10_000);
    assert.equal(stamps.isDue('a', 10_000 + DOMAIN_STAMP_INTERVAL_MS - 1), false);
    assert.equal(stamps.isDue('b', 10_001), true, 'another id is independent');
    assert.equal(stamps.isDue('a', 10_000 + DOMAIN_STAMP_INTERVAL_MS), true);
    assert.equal(stamps.isDue('a', 9_000), true, 'a clock that went back never suppresses');
  });
});
