import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, isPreRelease, newestVersion, sortVersions } from './version.js';

describe('version ordering', () => {
  const older: [string, string][] = [
    ['1.2.9', '1.2.10'],
    ['1.9.0', '1.10.0'],
    ['0.4.1', '0.4.1.20220609.122832'],
    ['0.4.1.20220609.122832', '0.4.1.20220610.000001'],
    ['0.4.1.20220609.122832', '0.4.2'],
    ['1.0', '1.0.1'],
    ['1.0', '1.0.0'],
    ['1.0.0-rc.1', '1.0.0'],
    ['1.0.0-alpha', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta'],
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['1.0.0-rc.1', '1.0'],
    ['0.9.9', 'v1.0.0'],
    ['v1.2.9', '1.2.10'],
    ['1.0.0', 'v1.0.0'],
    ['1.0.0+build.1', '1.0.0+build.2'],
    ['1.0.3', '1.0.3a'],
    ['1.0.3a', '1.0.3b'],
    ['1.0.3b', '1.0.10'],
    ['1.02', '1.3'],
    ['99999999999999999999.0', '100000000000000000000.0'],
  ];

  for (const [a, b] of older) {
    it(`orders ${a} before ${b}`, () => {
      assert.ok(compareVersions(a, b) < 0, `${a} < ${b}`);
      assert.ok(compareVersions(b, a) > 0, `${b} > ${a}`);
    });
  }

  it('is zero only for the very same string', () => {
    assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
    assert.notEqual(compareVersions('1.2', '1.2.0'), 0);
    assert.notEqual(compareVersions('1.02', '1.2'), 0);
  });

  it('sorts a realistic catalog oldest first', () => {
    const sorted = sortVersions([
      '1.10.0',
      '1.2.10',
      '1.2.9',
      '1.10.0-rc.1',
      '0.4.1.20220609.122832',
      'v1.1',
    ]);
    assert.deepEqual(sorted, [
      '0.4.1.20220609.122832',
      'v1.1',
      '1.2.9',
      '1.2.10',
      '1.10.0-rc.1',
      '1.10.0',
    ]);
  });

  it('recognises pre-releases by the dash after the release', () => {
    assert.equal(isPreRelease('1.0.0-rc.1'), true);
    assert.equal(isPreRelease('1.0.0'), false);
    assert.equal(isPreRelease('1.0.0+build-7'), false);
  });
});

describe('newestVersion', () => {
  it('picks the numerically newest release', () => {
    assert.equal(newestVersion(['1.2.9', '1.2.10', '1.0']), '1.2.10');
    assert.equal(newestVersion(['0.4.1.20220609.122832', '0.4.1']), '0.4.1.20220609.122832');
  });

  it('prefers a release over a newer pre-release', () => {
    assert.equal(newestVersion(['1.0.0', '1.1.0-rc.1']), '1.0.0');
  });

  it('falls back to the newest pre-release when there is no release', () => {
    assert.equal(newestVersion(['1.1.0-rc.1', '1.1.0-rc.2', '1.0.0-beta']), '1.1.0-rc.2');
  });

  it('is undefined for an empty list', () => {
    assert.equal(newestVersion([]), undefined);
  });
});

describe('version ordering as a total order (seeded property test)', () => {
  const samples = randomVersions(mulberry32(0x5eed), 160);

  it('is antisymmetric', () => {
    for (const a of samples) {
      for (const b of samples) {
        assert.equal(
          Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a)),
          0,
          `${a} vs ${b}`,
        );
        assert.equal(compareVersions(a, b) === 0, a === b, `${a} vs ${b}`);
      }
    }
  });

  it('is transitive', () => {
    const few = samples.slice(0, 60);
    for (const a of few) {
      for (const b of few) {
        if (compareVersions(a, b) >= 0) continue;
        for (const c of few) {
          if (compareVersions(b, c) < 0) assert.ok(compareVersions(a, c) < 0, `${a} < ${b} < ${c}`);
        }
      }
    }
  });

  it('sorts to the same order from any starting permutation', () => {
    const sorted = sortVersions(samples);
    const shuffled = shuffle(mulberry32(42), samples);
    assert.deepEqual(sortVersions(shuffled), sorted);
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(compareVersions(sorted[i - 1] as string, sorted[i] as string) < 0);
    }
  });
});

/** A small deterministic PRNG so the property test is reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVersions(random: () => number, count: number): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const parts = ['0', '1', '2', '9', '10', '01', '3a', '20220609', 'x', ''];
  const suffixes = ['', '', '', '-rc.1', '-rc.2', '-alpha', '-alpha.1', '-1', '+b1', '-beta+b2'];
  const out = new Set<string>();
  while (out.size < count) {
    const length = 1 + Math.floor(random() * 4);
    const release = Array.from({ length }, () => pick(parts)).join('.');
    out.add(`${pick(['', '', 'v'])}${release}${pick(suffixes)}`);
  }
  return [...out];
}

function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
