import { InvalidArgumentError, type Command } from 'commander';

/** One `--filter` condition as the core Query's Filter (`k`, `v`, `o`). */
export interface FilterArg {
  k: string;
  v: string | number | boolean;
  o: string;
}

/** The `--filter` spellings and the query operator each stands for; longest first. */
const FILTER_OPERATORS: readonly [string, string][] = [
  ['!=', 'not'],
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['=', 'eq'],
  ['~', 'contain'],
  ['>', 'gt'],
  ['<', 'lt'],
];

const FILTER_SYNTAX = /^([A-Za-z_][A-Za-z0-9_.]*)(!=|>=|<=|=|~|>|<)(.*)$/s;

/**
 * Parses a `--filter` value: `key=value` (eq), `key!=value` (not), `key~value` (contain,
 * case-insensitive), `key>value`, `key>=value`, `key<value`, `key<=value`. The value is a string;
 * keys in `typed` take a boolean (`true`/`false`) or a number instead. Used as a commander
 * argParser that collects repeated options.
 *
 * @throws InvalidArgumentError naming the expected syntax (commander reports it as a usage error).
 */
export function parseFilterArg(
  value: string,
  typed: Readonly<Record<string, 'boolean' | 'number'>> = {},
): FilterArg {
  const match = FILTER_SYNTAX.exec(value);
  if (match === null) {
    throw new InvalidArgumentError(
      `'${value}' is not a condition: expected key=value, key!=value, key~value, key>value, key>=value, key<value or key<=value`,
    );
  }
  const [, key = '', spelling = '', raw = ''] = match;
  const operator = FILTER_OPERATORS.find(([s]) => s === spelling)?.[1] ?? 'eq';
  return { k: key, v: typedValue(key, raw, typed[key]), o: operator };
}

/**
 * Parses a `--label k=v` value into one entry of a labels object.
 *
 * @throws InvalidArgumentError when there is no `=` or the key is empty.
 */
export function parseLabelArg(value: string): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not a label: expected key=value`);
  return [value.slice(0, at), value.slice(at + 1)];
}

/** A `--sort` value: `key` ascending, `-key` descending. */
export function parseSortArg(value: string): { key: string; desc: boolean } {
  const desc = value.startsWith('-');
  const key = desc ? value.slice(1) : value;
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) {
    throw new InvalidArgumentError(`'${value}' is not a sort key: expected key or -key`);
  }
  return { key, desc };
}

/** A whole number of at least `min`, for `--page`, `--limit` and `--priority`. */
export function parseIntegerArg(value: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
  }
  return n;
}

/** What the list commands collect from their query options. */
export interface ListQueryArgs {
  filter?: FilterArg[];
  sort?: { key: string; desc: boolean };
  page?: number;
  limit?: number;
}

/**
 * Adds `--filter` (repeatable), `--sort`, `--page` and `--limit` to a list command; `typed` names
 * the keys whose filter values are booleans or numbers.
 */
export function addListQueryOptions(
  command: Command,
  typed: Readonly<Record<string, 'boolean' | 'number'>>,
): Command {
  return command
    .option(
      '--filter <key=value>',
      'a query condition (repeatable; also != ~ > >= < <=)',
      collect((v) => parseFilterArg(v, typed)),
    )
    .option('--sort <key|-key>', 'sort by a key, -key for descending', parseSortArg)
    .option('--page <n>', 'page number, from 1', (v) => parseIntegerArg(v, 1))
    .option('--limit <n>', `rows per page (default ${DEFAULT_PAGE_SIZE} with --page)`, (v) =>
      parseIntegerArg(v, 1),
    );
}

/** Default page size when `--page` is given without `--limit`. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Builds the core Query of a list request from the options, or undefined when none is set.
 * `--page N` is 1-based and counts pages of `--limit` rows (the API's `page.start` counts rows).
 */
export function buildListQuery(
  args: ListQueryArgs,
  extraFilter: FilterArg[] = [],
): Record<string, unknown> | undefined {
  const filter = [...extraFilter, ...(args.filter ?? [])];
  const query: Record<string, unknown> = {};
  if (filter.length > 0) query['filter'] = filter;
  if (args.sort !== undefined) query['sort'] = args.sort;
  if (isPaged(args)) {
    const limit = args.limit ?? DEFAULT_PAGE_SIZE;
    query['page'] = { start: ((args.page ?? 1) - 1) * limit + 1, limit };
  }
  return Object.keys(query).length === 0 ? undefined : query;
}

/** Whether the options ask for one page of the results. */
export function isPaged(args: ListQueryArgs): boolean {
  return args.page !== undefined || args.limit !== undefined;
}

/** Collects repeated options into a list (commander's argParser shape). */
export function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}

function typedValue(
  key: string,
  raw: string,
  type: 'boolean' | 'number' | undefined,
): string | number | boolean {
  if (type === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new InvalidArgumentError(`${key} takes true or false, not '${raw}'`);
  }
  if (type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${key} takes a number, not '${raw}'`);
    }
    return n;
  }
  return raw;
}
