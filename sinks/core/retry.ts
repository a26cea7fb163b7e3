/**
 * The sinks' retry policy: a retriable error (target down, connection lost, registry unreachable)
 * is retried forever with capped exponential back-off — a sink waits for its target rather than
 * dropping or dead-lettering good records; any other error is rethrown as an EtlError and stops
 * the loop. A stopping loop does not retry (its final flush must not hang on a dead target).
 */
import { EtlError, isEtlError } from '../../lib/errors.js';

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
        if (!retriable || h.stopping()) {
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
