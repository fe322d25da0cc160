import { readFile } from 'node:fs/promises';

/**
 * What tells one process apart from a later process that got the same pid: its start time (in
 * clock ticks since boot, from `/proc/<pid>/stat`) and its command line. Linux only; elsewhere
 * no identity can be read, so nothing is ever adopted or signalled by pid alone.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
  cmdline: string[];
}

/**
 * The identity of the live process `pid`, or undefined when there is none (no such process, a
 * zombie that only waits to be reaped, or no `/proc`).
 */
export async function readProcessIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  const stat = await readStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;

  const cmdline = await readText(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) return undefined;

  return { pid, startTime: stat.startTime, cmdline: cmdline.split('\0').filter((a) => a !== '') };
}

/**
 * Whether the process recorded as `recorded` is still alive as the very same process. A process
 * that is exiting shows an empty command line for a moment before it becomes a zombie; with the
 * same pid and start time it is still that process (pid and start time alone identify a process
 * on Linux), so it counts as alive until it is really gone.
 */
export async function isSameProcessAlive(recorded: ProcessIdentity): Promise<boolean> {
  const current = await readProcessIdentity(recorded.pid);
  return current !== undefined && isStillProcess(current, recorded);
}

/** Whether `current` (read from /proc now) is the process recorded as `recorded`, maybe exiting. */
export function isStillProcess(current: ProcessIdentity, recorded: ProcessIdentity): boolean {
  if (current.cmdline.length === 0) {
    return current.pid === recorded.pid && current.startTime === recorded.startTime;
  }
  return sameIdentity(current, recorded);
}

/** Whether two identities name the same process. */
export function sameIdentity(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return (
    a.pid === b.pid &&
    a.startTime === b.startTime &&
    a.cmdline.length === b.cmdline.length &&
    a.cmdline.every((arg, i) => arg === b.cmdline[i])
  );
}

/** Fields of `/proc/<pid>/stat` the backend uses. */
export interface ProcessStat {
  state: string;
  processGroup: number;
  startTime: string;
}

/** Parses `/proc/<pid>/stat`; undefined when the process does not exist. */
export async function readStat(pid: number): Promise<ProcessStat | undefined> {
  const text = await readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;

  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , processGroup] = fields;
  const startTime = fields[19];
  if (state === undefined || processGroup === undefined || startTime === undefined)
    return undefined;

  return { state, processGroup: Number(processGroup), startTime };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
