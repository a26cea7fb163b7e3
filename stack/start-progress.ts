/**
 * What a pipeline process that is not ready yet says it is doing (the status of its /readyz), and
 * how long `up` and the supervisor wait on it past the start timeout.
 *
 * - `restoring 63 %`: reading its state back; progress however long it takes, so the deadline
 *   moves while it lasts.
 * - `joining consumer group <group>`: waiting for the group coordinator. After a member died
 *   without leaving (kill -9, a machine that stopped), the coordinator holds the group until that
 *   member's rebalance timeout (60 s by default) has passed — as long as a whole start timeout. The
 *   deadline moves while it joins, but never past the start timeout plus JOIN_GRACE_MS: a join
 *   that never ends is a fault.
 */
export const JOIN_GRACE_MS = 5 * 60_000;

export type StartProgressKind = 'restoring' | 'joining';

/** The progress a /readyz status reports, if any. */
export function parseStartProgress(status: string): { kind: StartProgressKind; text: string } | undefined {
  const m = /\b(restoring|joining)\b[^"]*/.exec(status);
  if (!m) return undefined;
  return { kind: m[1] === 'joining' ? 'joining' : 'restoring', text: m[0].trim() };
}

/** The new deadline of a start that reports `progress` at `now`. */
export function deadlineAfterProgress(
  progress: string,
  o: { now: number; startedAt: number; startTimeoutMs: number },
): number {
  const next = o.now + o.startTimeoutMs;
  const kind = parseStartProgress(progress)?.kind;
  if (kind === 'joining') return Math.min(next, o.startedAt + o.startTimeoutMs + JOIN_GRACE_MS);
  return next;
}

/** The line `up` prints for it: a join gets the reason it may take a while. */
export function describeProgress(progress: string): string {
  return parseStartProgress(progress)?.kind === 'joining'
    ? `${progress} (a member that died without leaving is waited for until its rebalance timeout, 60 s by default)`
    : progress;
}
