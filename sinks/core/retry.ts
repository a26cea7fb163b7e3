/**
 * The sinks' retry policy (sinks/core/refusal.ts): an unreachable target (connection lost,
 * registry unreachable) is waited for with capped exponential back-off, without end — a sink waits
 * for its target rather than dropping or dead-lettering good records. A transient answer of the
 * server is retried the same way, but at most `maxTransientAttempts` times when the caller can
 * split the batch (sinks/core/split.ts); any other error is rethrown as an EtlError for the caller
 * to split (a refusal) or to stop on. A stopping loop does not retry (its final flush must not hang
 * on a dead target).
 */
import { EtlError, isEtlError } from '../../lib/errors.js';
import { isRefusal } from './refusal.js';

export interface RetryHooks {
  /** Cap of the back-off (ms); the first delay is 100 ms, doubled each time. */
  maxDelayMs: number;
  stopping(): boolean;
  /**
   * A retriable failure; the attempt that failed, the delay before the next one, and how long this
   * call has been failing (ms since its first failure).
   */
  onRetry(what: string, attempt: number, delayMs: number, err: unknown, failingForMs: number): void;
  /** The call ends (success or a rethrown error) after `attempts` attempts. */
  onEnd?(what: string, attempts: number): void;
  /** Success; `attempts` > 1 after recovering. */
  onSuccess(what: string, attempts: number): void;
  /** After each back-off, before the next attempt (the loop heartbeats its group here). */
  afterWait?(): void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /**
   * Attempts after which a transient refusal (TargetRefusal `transient`) is rethrown instead of
   * retried; undefined = no bound (the caller cannot split the batch).
   */
  maxTransientAttempts?: number | undefined;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function retryRetriable<T>(what: string, fn: () => Promise<T>, h: RetryHooks): Promise<T> {
  const sleep = h.sleep ?? realSleep;
  const now = h.now ?? Date.now;
  let delay = 100;
  let firstFailure: number | undefined;
  let attempt = 1;
  try {
    for (; ; attempt++) {
      try {
        const out = await fn();
        h.onSuccess(what, attempt);
        return out;
      } catch (err) {
        const retriable = isEtlError(err) ? err.retriable : false;
        const exhausted =
          isRefusal(err) && h.maxTransientAttempts !== undefined && attempt >= h.maxTransientAttempts;
        if (!retriable || exhausted || h.stopping()) {
          throw isEtlError(err)
            ? err
            : new EtlError('INVALID_ARGUMENT', `${what} failed: ${(err as Error).message}`, { cause: err });
        }
        firstFailure ??= now();
        h.onRetry(what, attempt, delay, err, now() - firstFailure);
        await sleep(delay);
        h.afterWait?.();
        delay = Math.min(h.maxDelayMs, delay * 2);
      }
    }
  } finally {
    h.onEnd?.(what, attempt);
  }
}
