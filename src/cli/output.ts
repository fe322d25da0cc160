/**
 * Terminal output of the client commands: aligned tables that measure text by its display width
 * (wide CJK and emoji take two columns, combining marks none), and pretty JSON.
 */

/** One column of a table: its header and how a row renders in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Longer cells are cut to this display width, ending in `…`. */
  maxWidth?: number;
}

/** What an empty cell shows, so that columns never look shifted. */
export const EMPTY_CELL = '-';

const GAP = '  ';

/**
 * Renders rows as a table: a header line, then one line per row, columns left-aligned by display
 * width and separated by two spaces, no trailing spaces. Control characters in values are shown
 * as `?` so that a value can neither break the layout nor send escape sequences to the terminal.
 */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column, row)));
  const widths = columns.map((column, i) =>
    Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[i] ?? ''))),
  );

  const lines = [columns.map((c) => c.header), ...cells].map((line) =>
    line
      .map((text, i) => (i === line.length - 1 ? text : padEnd(text, widths[i] ?? 0)))
      .join(GAP)
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Renders a list answer: the table, or `empty` (e.g. `No supervisors.`) when there are no rows;
 * with `total` (a paged request) a last line `total N` counting every match, not just the page.
 */
export function formatList<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  options: { empty: string; total?: number },
): string {
  const body = rows.length === 0 ? `${options.empty}\n` : formatTable(columns, rows);
  return options.total === undefined ? body : `${body}total ${options.total}\n`;
}

/**
 * Renders one record as `key  value` lines with the keys aligned, for commands that show a single
 * resource in detail.
 */
export function formatDetails(entries: readonly [string, string][]): string {
  const width = Math.max(0, ...entries.map(([key]) => displayWidth(key)));
  return entries
    .map(([key, value]) => `${padEnd(key, width)}${GAP}${sanitize(value) || EMPTY_CELL}`.trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}

/** The API's answer as pretty JSON (two-space indent) with a final newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A Struct of labels or tags as `k=v,k2=v2`, keys sorted; objects and lists as JSON. */
export function formatLabels(labels: unknown): string {
  if (typeof labels !== 'object' || labels === null) return '';
  return Object.entries(labels as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(',');
}

/** How long ago an ISO 8601 time was, as `12s ago`, `5m ago`, `3h ago` or `4d ago`. */
export function formatAge(iso: string | undefined, now: Date = new Date()): string {
  if (iso === undefined || iso === '') return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;

  const seconds = Math.max(0, Math.floor((now.getTime() - then) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/**
 * The number of terminal columns `text` takes: two for East Asian wide and fullwidth characters
 * and emoji shown as pictures, none for combining marks, zero-width characters and variation
 * selectors, one for everything else.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** Cuts `text` to at most `max` display columns, ending in `…` when something was cut. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;

  let out = '';
  let width = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (width + w > max - 1) break;
    out += char;
    width += w;
  }
  return `${out}…`;
}

function cellText<T>(column: Column<T>, row: T): string {
  const text = sanitize(column.value(row));
  if (text === '') return EMPTY_CELL;
  return column.maxWidth === undefined ? text : truncate(text, column.maxWidth);
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

function sanitize(text: string): string {
  return text.replace(CONTROL, '?');
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200B-\u200F\u2060\uFE00-\uFE0F\uFEFF]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

function charWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0;
  if (EMOJI.test(char) || isWide(char.codePointAt(0) ?? 0)) return 2;
  return 1;
}

/** East Asian Wide (W) and Fullwidth (F) blocks. */
const WIDE_RANGES: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function isWide(codePoint: number): boolean {
  return WIDE_RANGES.some(([from, to]) => codePoint >= from && codePoint <= to);
}
