/** Runs the `plugvisor` command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  await Promise.resolve();
  console.log(`plugvisor: not yet implemented (${argv.join(' ')})`);
  return 0;
}
