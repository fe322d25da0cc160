import { randomBytes } from 'node:crypto';

/** A new supervisor id: `supervisor-` followed by 12 lower-case hex characters. */
export function newSupervisorId(): string {
  return `supervisor-${randomBytes(6).toString('hex')}`;
}

/** True when `id` has the shape of a supervisor id. */
export function isSupervisorId(id: string): boolean {
  return /^supervisor-[0-9a-f]{12}$/.test(id);
}
