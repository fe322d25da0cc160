/**
 * Ordering of plugin version strings as they appear in real catalogs: semantic versions
 * (`1.2.10`), longer dotted versions with build dates (`0.4.1.20220609.122832`), short ones
 * (`1.0`), a `v` prefix (`v2.0.1`) and pre-releases (`1.0.0-rc.1`).
 *
 * Precedence, compared in this order:
 * 1. the release part (before the first `-`), dot by dot; a missing part counts as `0`, so `1.0`
 *    and `1.0.0` have the same release. Within a part, digit runs compare as numbers and other
 *    runs as text (`3` < `3a` < `3b` < `10`), a number below text.
 * 2. a version without a pre-release is above one with a pre-release (`1.0.0-rc.1` < `1.0.0`);
 *    pre-release identifiers compare as semver says (numbers numerically, numbers below text,
 *    more identifiers above fewer when the shared ones are equal).
 * 3. to make the order total: more release parts above fewer (`1.0` < `1.0.0`), and finally the
 *    raw strings by character code (`1.0.0+b1` < `1.0.0+b2`, `1.0` < `v1.0`).
 *
 * `compareVersions(a, b)` is 0 exactly when `a === b`, so sorting is deterministic.
 */

/** Negative when `a` is older than `b`, positive when newer, 0 only for the same string. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;

  const pa = parseVersion(a);
  const pb = parseVersion(b);

  return (
    compareReleases(pa.release, pb.release) ||
    comparePreReleases(pa.preRelease, pb.preRelease) ||
    pa.release.length - pb.release.length ||
    compareText(a, b)
  );
}

/**
 * The newest of `versions`, preferring releases over pre-releases: a pre-release is returned only
 * when the list has no release at all. Undefined for an empty list.
 *
 * @example newestVersion(['1.2.9', '1.2.10', '1.3.0-rc.1']) // '1.2.10'
 */
export function newestVersion(versions: readonly string[]): string | undefined {
  const releases = versions.filter((v) => !isPreRelease(v));
  const pool = releases.length > 0 ? releases : versions;

  let newest: string | undefined;
  for (const v of pool) {
    if (newest === undefined || compareVersions(v, newest) > 0) newest = v;
  }
  return newest;
}

/** `versions` sorted oldest first (a new array). */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort(compareVersions);
}

/** True when `version` carries a pre-release suffix (`1.0.0-rc.1`). */
export function isPreRelease(version: string): boolean {
  return parseVersion(version).preRelease !== undefined;
}

/** A digit run (as a normalised digit string, compared numerically) or a text run. */
type Atom = { num: string } | { text: string };

interface ParsedVersion {
  release: Atom[][];
  preRelease: Atom[] | undefined;
}

const ZERO_PART: Atom[] = [{ num: '0' }];

function parseVersion(version: string): ParsedVersion {
  const withoutBuild = version.split('+', 1)[0] ?? '';
  const trimmed = withoutBuild.replace(/^[vV](?=\d)/, '');
  const dash = trimmed.indexOf('-');
  const release = dash === -1 ? trimmed : trimmed.slice(0, dash);
  const preRelease = dash === -1 ? undefined : trimmed.slice(dash + 1);

  return {
    release: release.split('.').map(splitRuns),
    preRelease: preRelease === undefined ? undefined : preRelease.split('.').map(preReleaseAtom),
  };
}

function splitRuns(part: string): Atom[] {
  const runs = part.match(/\d+|\D+/g) ?? [];
  return runs.map((run) => (/^\d/.test(run) ? { num: stripZeros(run) } : { text: run }));
}

function preReleaseAtom(identifier: string): Atom {
  return /^\d+$/.test(identifier) ? { num: stripZeros(identifier) } : { text: identifier };
}

function stripZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

function compareReleases(a: Atom[][], b: Atom[][]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareAtomLists(a[i] ?? ZERO_PART, b[i] ?? ZERO_PART);
    if (order !== 0) return order;
  }
  return 0;
}

function comparePreReleases(a: Atom[] | undefined, b: Atom[] | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareAtomLists(a, b);
}

/** Lexicographic, with a proper prefix below the longer list. */
function compareAtomLists(a: Atom[], b: Atom[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareAtoms(a[i] as Atom, b[i] as Atom);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareAtoms(a: Atom, b: Atom): number {
  if ('num' in a && 'num' in b) return a.num.length - b.num.length || compareText(a.num, b.num);
  if ('num' in a) return -1;
  if ('num' in b) return 1;
  return compareText(a.text, b.text);
}

/** Character-code order (not locale order), so the result never depends on the machine. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
