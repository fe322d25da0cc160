/**
 * What differs between SQL dialects for the query compiler. The compiler writes `?` for every
 * parameter; a dialect that numbers its placeholders rewrites them in `finish`.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** SQL reading the text at JSON `path` inside `column` (NULL when absent). `?` binds the path. */
  jsonText(column: string): { sql: string; param: (path: readonly string[]) => unknown };
  /** Case-insensitive, Unicode-aware "haystack contains needle" with one `?` for the needle. */
  containsIgnoreCase(expr: string): string;
  /** Rewrites the finished SQL text (placeholders) for the driver. */
  finish(sql: string): string;
}
