import { EventEmitter } from 'node:events';

/**
 * In-process notifications between services of one control-plane process. They only say "look
 * again": listeners always re-read the store, so a missed or duplicated event costs latency, never
 * correctness (several replicas each have their own bus; periodic resyncs and bounded waits cover
 * what one replica cannot see).
 */
export class ServiceEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Hundreds of callers may wait on instances at once; each holds one listener.
    this.#emitter.setMaxListeners(0);
  }

  /** The desired set of installed plugins on `supervisorId` changed (created, recovered, failed, deleted). */
  desiredChanged(supervisorId: string): void {
    this.#emitter.emit(`desired:${supervisorId}`);
  }

  /** Calls `listener` whenever `supervisorId`'s desired set changes; returns the unsubscribe. */
  onDesiredChanged(supervisorId: string, listener: () => void): () => void {
    this.#emitter.on(`desired:${supervisorId}`, listener);
    return () => this.#emitter.off(`desired:${supervisorId}`, listener);
  }

  /** A publish reported new state or endpoints for instances on `supervisorId`. */
  instancesReported(supervisorId: string): void {
    this.#emitter.emit(`reported:${supervisorId}`);
    this.#emitter.emit('reported');
  }

  /** Calls `listener` after any publish that reported instance state; returns the unsubscribe. */
  onInstancesReported(listener: () => void): () => void {
    this.#emitter.on('reported', listener);
    return () => this.#emitter.off('reported', listener);
  }
}
