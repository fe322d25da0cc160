import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoPossibleSupervisorError } from './errors.js';
import type { PlacementCandidate, TieBreaker } from './placement.js';
import { labelsMatch, placeInstance, qualifies, shuffleTies } from './placement.js';

function supervisor(id: string, fields: Partial<PlacementCandidate> = {}): PlacementCandidate {
  return {
    supervisor_id: id,
    state: 'ENABLED',
    is_public: false,
    domain_id: 'domain-a',
    priority: 10,
    labels: {},
    ...fields,
  };
}

/** Keeps ties in input order, so expectations are exact. */
const inOrder: TieBreaker = (tied) => [...tied];

const ids = (list: PlacementCandidate[]) => list.map((s) => s.supervisor_id);

describe('placeInstance', () => {
  const cases: {
    name: string;
    candidates: PlacementCandidate[];
    labels?: Record<string, string | boolean | number>;
    expected: string[];
  }[] = [
    {
      name: 'keeps only ENABLED supervisors',
      candidates: [
        supervisor('pending', { state: 'PENDING' }),
        supervisor('disabled', { state: 'DISABLED' }),
        supervisor('gone', { state: 'DISCONNECTED' }),
        supervisor('ok'),
      ],
      expected: ['ok'],
    },
    {
      name: "keeps the domain's own and public supervisors, not another domain's private ones",
      candidates: [
        supervisor('own'),
        supervisor('other', { domain_id: 'domain-b' }),
        supervisor('public', { domain_id: 'domain-b', is_public: true }),
      ],
      expected: ['own', 'public'],
    },
    {
      name: 'requires every requested label with the same value',
      candidates: [
        supervisor('kr-gpu', { labels: { region: 'kr', gpu: 'true' } }),
        supervisor('kr', { labels: { region: 'kr' } }),
        supervisor('us-gpu', { labels: { region: 'us', gpu: 'true' } }),
      ],
      labels: { region: 'kr', gpu: true },
      expected: ['kr-gpu'],
    },
    {
      name: 'accepts any supervisor when no labels are requested',
      candidates: [supervisor('a', { labels: { region: 'kr' } }), supervisor('b')],
      expected: ['a', 'b'],
    },
    {
      name: 'orders by priority, highest number first',
      candidates: [
        supervisor('low', { priority: 1 }),
        supervisor('high', { priority: 50 }),
        supervisor('mid', { priority: 10 }),
      ],
      expected: ['high', 'mid', 'low'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        ids(placeInstance(c.candidates, 'domain-a', c.labels ?? {}, inOrder)),
        c.expected,
      );
    });
  }

  it('throws NoPossibleSupervisorError naming the labels when nothing qualifies', () => {
    assert.throws(
      () => placeInstance([supervisor('a', { state: 'DISABLED' })], 'domain-a', { region: 'eu' }),
      (err: unknown) =>
        err instanceof NoPossibleSupervisorError &&
        err.code === 'ERROR_NO_POSSIBLE_SUPERVISOR' &&
        err.message.includes('"region":"eu"'),
    );
    assert.throws(() => placeInstance([], 'domain-a', {}), NoPossibleSupervisorError);
  });

  it('hands ties to the tie-breaker and only ties', () => {
    const seen: string[][] = [];
    const reverse: TieBreaker = (tied) => {
      seen.push(tied.map((s) => s.supervisor_id));
      return [...tied].reverse();
    };
    const placed = placeInstance(
      [supervisor('a'), supervisor('top', { priority: 99 }), supervisor('b'), supervisor('c')],
      'domain-a',
      {},
      reverse,
    );
    assert.deepEqual(ids(placed), ['top', 'c', 'b', 'a']);
    assert.deepEqual(seen, [['top'], ['a', 'b', 'c']]);
  });

  it('spreads ties by default: each of three equal supervisors comes first sometimes', () => {
    const tied = [supervisor('a'), supervisor('b'), supervisor('c')];
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++)
      firsts.add(placeInstance(tied, 'domain-a', {})[0]?.supervisor_id ?? '');
    assert.deepEqual([...firsts].sort(), ['a', 'b', 'c']);
  });
});

describe('qualifies', () => {
  it('says whether an existing instance may still be handed out', () => {
    const s = supervisor('a', { labels: { region: 'kr' } });
    assert.equal(qualifies(s, 'domain-a', { region: 'kr' }), true);
    assert.equal(qualifies(s, 'domain-a', { region: 'us' }), false);
    assert.equal(qualifies(s, 'domain-b', {}), false);
    assert.equal(qualifies({ ...s, is_public: true }, 'domain-b', {}), true);
    assert.equal(qualifies({ ...s, state: 'DISABLED' }, 'domain-a', {}), false);
    assert.equal(qualifies({ ...s, state: 'DISCONNECTED' }, 'domain-a', {}), false);
  });
});

describe('labelsMatch', () => {
  it('compares values as text and requires the key to be present', () => {
    assert.equal(labelsMatch({ replicas: '3' }, { replicas: 3 }), true);
    assert.equal(labelsMatch({ gpu: true }, { gpu: 'true' }), true);
    assert.equal(labelsMatch({}, { gpu: 'false' }), false);
    assert.equal(labelsMatch({ a: 'x' }, { a: 'X' }), false);
    assert.equal(labelsMatch({ toString: 'x' }, {}), true);
    assert.equal(labelsMatch({}, { toString: 'x' }), false);
  });
});

describe('shuffleTies', () => {
  it('returns a permutation and leaves its input alone', () => {
    const input = [1, 2, 3, 4, 5];
    const out = shuffleTies(input);
    assert.deepEqual([...out].sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(input, [1, 2, 3, 4, 5]);
  });
});
