/**
 * Placement: which supervisors may run a new instance for a domain, and in which order to try
 * them (SPEC §3 "Installed plugins"). Pure: the caller loads the candidates and decides what to do
 * with the answer.
 *
 * The rule:
 * - only ENABLED supervisors (PENDING, DISABLED and DISCONNECTED ones are never chosen);
 * - the requesting domain's own supervisors, or public ones;
 * - whose labels contain every requested label with the same value, compared as text
 *   (`{ region: 'kr' }` matches a supervisor labelled `{ region: 'kr', gpu: 'true' }`, and a
 *   requested `{ gpu: true }` matches a label `'true'`);
 * - highest `priority` number first;
 * - supervisors of equal priority are spread: the injected tie-breaker orders them (by default
 *   at random, so that new instances do not all land on the first one).
 */
import { NoPossibleSupervisorError } from './errors.js';
import type { JsonObject, JsonValue, SupervisorState } from './supervisor.js';

/** What placement needs to know about a supervisor. */
export interface PlacementCandidate {
  supervisor_id: string;
  state: SupervisorState;
  is_public: boolean;
  domain_id: string;
  priority: number;
  labels: JsonObject;
}

/**
 * Orders supervisors of equal priority. Return a new array; the default shuffles. Tests inject a
 * deterministic one, and a caller may sort by load (fewest instances first).
 */
export type TieBreaker = <T extends PlacementCandidate>(tied: readonly T[]) => T[];

/**
 * The supervisors that may run a new instance for `domainId` with `labels`, best first.
 *
 * @throws NoPossibleSupervisorError naming the requested labels when none qualifies.
 * @example placeInstance(supervisors, 'domain-a', { region: 'kr' })[0] // the one to use
 */
export function placeInstance<T extends PlacementCandidate>(
  candidates: readonly T[],
  domainId: string,
  labels: Readonly<Record<string, JsonValue>>,
  tieBreaker: TieBreaker = shuffleTies,
): T[] {
  const eligible = candidates.filter((s) => qualifies(s, domainId, labels));
  if (eligible.length === 0) throw new NoPossibleSupervisorError(labels);

  const byPriority = new Map<number, T[]>();
  for (const s of eligible) byPriority.set(s.priority, [...(byPriority.get(s.priority) ?? []), s]);

  const priorities = [...byPriority.keys()].sort((a, b) => b - a);
  return priorities.flatMap((p) => tieBreaker(byPriority.get(p) ?? []));
}

/**
 * True when `supervisor` may serve `domainId` with `labels` now: ENABLED, the domain's own or
 * public, and carrying every requested label. Used both to place a new instance and to decide
 * whether an existing instance may still be handed out.
 */
export function qualifies(
  supervisor: Pick<PlacementCandidate, 'state' | 'is_public' | 'domain_id' | 'labels'>,
  domainId: string,
  labels: Readonly<Record<string, JsonValue>>,
): boolean {
  if (supervisor.state !== 'ENABLED') return false;
  if (!supervisor.is_public && supervisor.domain_id !== domainId) return false;
  return labelsMatch(supervisor.labels, labels);
}

/** True when `have` contains every key of `want` with the same value compared as text. */
export function labelsMatch(
  have: Readonly<Record<string, JsonValue>>,
  want: Readonly<Record<string, JsonValue>>,
): boolean {
  return Object.entries(want).every(
    ([key, value]) => Object.hasOwn(have, key) && labelText(have[key]) === labelText(value),
  );
}

/** Random order; the default tie-breaker. */
export function shuffleTies<T>(tied: readonly T[]): T[] {
  const copy = [...tied];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** A label value as text: strings as they are, everything else as JSON (`true`, `3`, `null`). */
function labelText(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}
