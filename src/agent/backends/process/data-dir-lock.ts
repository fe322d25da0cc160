import { open, readFile, rm } from 'node:fs/promises';

import {
  isSameProcessAlive,
  readProcessIdentity,
  type ProcessIdentity,
} from './process-identity.js';

/**
 * One agent per data dir: two agents adopting and stopping the same plugin processes would fight.
 * The lock file holds the owner's identity (pid, start time, command line); a lock whose owner is
 * gone (an agent that was killed) is taken over.
 */
export class DataDirLock {
  readonly #path: string;
  #held = false;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * Takes the lock.
   *
   * @throws Error naming the other agent's pid when a live process holds it.
   */
  async acquire(): Promise<void> {
    const me = await readProcessIdentity(process.pid);
    const content = JSON.stringify(me ?? { pid: process.pid, startTime: '', cmdline: [] });

    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.#path, 'wx', 0o600);
        await handle.writeFile(content);
        await handle.close();
        this.#held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }

      const owner = await this.#owner();
      if (owner !== undefined && (await isSameProcessAlive(owner))) {
        throw new Error(`another agent (pid ${owner.pid}) uses this data dir (lock ${this.#path})`);
      }
      await rm(this.#path, { force: true });
    }
    throw new Error(`cannot take the lock ${this.#path}`);
  }

  /** Releases the lock if this process holds it. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await rm(this.#path, { force: true });
  }

  async #owner(): Promise<ProcessIdentity | undefined> {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8')) as ProcessIdentity;
    } catch {
      return undefined;
    }
  }
}
