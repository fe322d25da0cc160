/**
 * Patterns of `regex`/`regex_in` run in JavaScript's backtracking engine on the server's one
 * thread (SQLite calls `pv_regexp` for each row), so one crafted pattern could stall every request:
 * `^(a+)+$` takes seconds on 28 characters and grows exponentially. This refuses the shapes that
 * backtrack exponentially or in high polynomial time, checked on the pattern's text before it
 * runs:
 *
 * - a repeated group that itself holds a quantifier or an alternation (`(a+)+`, `(a|ab)*`,
 *   `(\w?)*`): rewrite with a character class (`[ab]+`);
 * - back-references (`\1`, `\k<name>`);
 * - more than {@link MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (`*`, `+`, `{n,}`), since
 *   `.*.*.*x` is already cubic in the text's length.
 *
 * The pattern must already compile (`new RegExp(pattern, 'iu')`). Returns the reason to refuse,
 * or undefined when the pattern is accepted.
 */
export const MAX_UNBOUNDED_QUANTIFIERS = 2;

interface Frame {
  quantified: boolean;
  alternation: boolean;
}

export function costlyRegexReason(pattern: string): string | undefined {
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  let unbounded = 0;
  let i = 0;
  /** Reads a quantifier at `i`, if any: undefined, or whether it repeats (more than once). */
  const quantifier = (): { repeats: boolean; unbounded: boolean } | undefined => {
    const ch = pattern[i];
    let q: { repeats: boolean; unbounded: boolean } | undefined;
    if (ch === '*' || ch === '+') {
      i += 1;
      q = { repeats: true, unbounded: true };
    } else if (ch === '?') {
      i += 1;
      q = { repeats: false, unbounded: false };
    } else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m === null) return undefined;
      i += m[0].length;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      q = { repeats: max > 1, unbounded: max === Infinity };
    }
    if (q !== undefined && pattern[i] === '?') i += 1; // lazy
    return q;
  };
  const noteQuantifier = (): boolean => {
    const q = quantifier();
    if (q === undefined) return false;
    if (q.unbounded) unbounded += 1;
    stack[stack.length - 1]!.quantified = true;
    return true;
  };
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not supported';
      i += 2;
      if (/[pPu]/.test(next) && pattern[i] === '{') i = pattern.indexOf('}', i) + 1;
      noteQuantifier();
    } else if (ch === '[') {
      i += 1;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i += 1;
      noteQuantifier();
    } else if (ch === '(') {
      stack.push({ quantified: false, alternation: false });
      i += 1;
      const prefix = /^\?(:|=|!|<=|<!|<[^>]*>)/.exec(pattern.slice(i));
      if (prefix !== null) i += prefix[0].length;
    } else if (ch === ')') {
      const group = stack.pop()!;
      i += 1;
      const q = quantifier();
      if (q !== undefined) {
        if (q.unbounded) unbounded += 1;
        if (q.repeats && (group.quantified || group.alternation)) {
          return 'a repeated group may not contain a quantifier or an alternation (use a character class)';
        }
      }
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= group.quantified || q !== undefined;
      parent.alternation ||= group.alternation;
    } else if (ch === '|') {
      stack[stack.length - 1]!.alternation = true;
      i += 1;
    } else {
      i += 1;
      noteQuantifier();
    }
    if (unbounded > MAX_UNBOUNDED_QUANTIFIERS) {
      return `at most ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (*, +, {n,}) are allowed`;
    }
  }
  return undefined;
}
