/** Shortest time between two writes of the same domain's use stamp. */
export const DOMAIN_STAMP_INTERVAL_MS = 1000;

/** Most stamps remembered; past it the memory is dropped (and every stamp is written once more). */
const MAX_REMEMBERED = 10_000;

/**
 * When this process last wrote each domain's `endpoint_called_at` on an instance, so that a busy
 * warm path writes it at most once per `DOMAIN_STAMP_INTERVAL_MS` instead of on every call. The
 * ids are opaque to this class; the caller includes whatever tells a recreated instance apart.
 */
export class DomainUseStamps {
  readonly #lastWritten = new Map<string, number>();

  /** True when `id` was not written within the interval before `nowMs` (or the clock went back). */
  isDue(id: string, nowMs: number): boolean {
    const last = this.#lastWritten.get(id);
    return last === undefined || nowMs < last || nowMs - last >= DOMAIN_STAMP_INTERVAL_MS;
  }

  /** Records that `id` was written at `nowMs`. */
  written(id: string, nowMs: number): void {
    if (this.#lastWritten.size >= MAX_REMEMBERED) this.#lastWritten.clear();
    this.#lastWritten.set(id, nowMs);
  }
}
