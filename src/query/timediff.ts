import type { Clock } from '../domain/time.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const GRAMMAR = /^now(?:\/([dw]))?(?:\s*([+-])\s*(\d+)\s*([smhdw]))?$/;

/**
 * Evaluates a `timediff_*` expression (`now`, `now/d`, `now/w`, optionally `± N` with unit s, m,
 * h, d or w, e.g. `now/d - 1d`) against `clock`. `now/d` is the start of the current UTC day and
 * `now/w` the start of the current ISO week (Monday, UTC).
 *
 * @returns the instant as an ISO 8601 string, or undefined when the text is not an expression.
 */
export function evaluateTimediff(text: string, clock: Clock): string | undefined {
  const m = GRAMMAR.exec(text.trim());
  if (m === null) return undefined;
  const [, round, sign, amount, unit] = m;

  let t = clock.now().getTime();
  if (round !== undefined) t = startOf(round, t);
  if (sign !== undefined && amount !== undefined && unit !== undefined) {
    const delta = Number(amount) * (UNIT_MS[unit] ?? 0);
    t += sign === '-' ? -delta : delta;
  }
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function startOf(round: string, t: number): number {
  const day = Math.floor(t / UNIT_MS.d!) * UNIT_MS.d!;
  if (round === 'd') return day;
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return day - weekday * UNIT_MS.d!;
}
