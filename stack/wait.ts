/**
 * The one wait-until loop of the project (the stack launcher, tests and benchmarks): poll a check
 * until it holds. A check that throws counts as "not yet" — a server that is starting refuses
 * connections for a while, and that is what is being waited out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between checks (default 250 ms). */
  intervalMs?: number;
}

/** True as soon as `check` holds, false once `timeoutMs` has passed without it. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.intervalMs ?? 250);
  }
}

/** Like waitUntil, but throws `what` (with the last error the check threw, if any) on timeout. */
export async function waitOrThrow(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  let last: unknown;
  const ok = await waitUntil(async () => {
    try {
      return await check();
    } catch (err) {
      last = err;
      return false;
    }
  }, options);
  if (!ok) {
    const why = last === undefined ? '' : `; last error: ${(last as Error).message ?? String(last)}`;
    throw new Error(`${what}: not reached within ${options.timeoutMs} ms${why}`);
  }
}
