import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { ProcessIdentity } from './process-identity.js';

/** One running plugin process as the state file records it. */
export interface InstanceRecord extends ProcessIdentity {
  plugin_id: string;
  version: string;
  revision: string;
  host: string;
  port: number;
  /** ISO 8601 time the process was started. */
  startedAt: string;
  logFile: string;
}

interface StateFileContent {
  format: 1;
  supervisor_name: string;
  instances: InstanceRecord[];
}

/**
 * The process backend's memory across agent restarts: which plugin processes it started, with
 * the identity of each (pid, start time, command line). Writes are atomic (a temporary file,
 * fsync, rename) and serialised, so a crash leaves either the old or the new content.
 */
export class StateFile {
  readonly #path: string;
  readonly #supervisorName: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string, supervisorName: string) {
    this.#path = path;
    this.#supervisorName = supervisorName;
  }

  /** Where the file lives. */
  get path(): string {
    return this.#path;
  }

  /**
   * The recorded instances; empty when there is no file yet.
   *
   * @throws Error when the file exists but is not a state file of this supervisor.
   */
  async read(): Promise<InstanceRecord[]> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }

    const content = JSON.parse(text) as Partial<StateFileContent>;
    if (content.format !== 1 || !Array.isArray(content.instances)) {
      throw new Error(`${this.#path} is not a process backend state file (format 1)`);
    }
    if (content.supervisor_name !== this.#supervisorName) {
      throw new Error(
        `${this.#path} belongs to supervisor ${JSON.stringify(content.supervisor_name)}, not ${JSON.stringify(this.#supervisorName)}`,
      );
    }
    return content.instances;
  }

  /** Replaces the content with `instances`; resolves once it is durable. */
  write(instances: readonly InstanceRecord[]): Promise<void> {
    const content: StateFileContent = {
      format: 1,
      supervisor_name: this.#supervisorName,
      instances: [...instances],
    };
    const next = this.#writing.then(() => this.#writeNow(JSON.stringify(content, null, 2)));
    this.#writing = next.catch(() => undefined);
    return next;
  }

  async #writeNow(text: string): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    const temporary = `${this.#path}.${process.pid}.tmp`;

    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.#path);
  }
}
