/** A source of the current time; injected so that time-based rules can be tested without waiting. */
export interface Clock {
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };

/** ISO 8601 UTC with milliseconds, the one time format the API speaks (`2022-06-15T05:42:02.999Z`). */
export function isoTime(date: Date): string {
  return date.toISOString();
}
