import { InvalidParameterError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a duration such as `90s`, `15m`, `12h`, `30d` or `2w` (a plain number is seconds) into
 * whole seconds.
 *
 * @throws InvalidParameterError naming `key` when the text is not a positive duration of that form.
 */
export function parseDurationSeconds(text: string, key: string): number {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(text);
  const amount = match === null ? NaN : Number(match[1]);
  const unit = UNIT_SECONDS[match?.[2] || 's'];
  if (unit === undefined || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidParameterError(
      key,
      `expected a duration like 90s, 15m, 12h, 30d or 2w, got ${JSON.stringify(text)}`,
    );
  }
  return amount * unit;
}
