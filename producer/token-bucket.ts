/**
 * A token bucket: tokens accrue at `rate` per second up to `capacity`, and each event spends one.
 * The capacity (half a second of tokens by default) lets the producer catch up after a slow send
 * or a GC pause, so the average holds, without ever bursting more than that after an outage.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;
  private ratePerSec: number;
  private readonly burstSeconds: number;

  constructor(rate: number, options: { burstSeconds?: number; now?: () => number } = {}) {
    this.now = options.now ?? (() => performance.now());
    this.burstSeconds = options.burstSeconds ?? 0.5;
    this.ratePerSec = rate;
    this.last = this.now();
  }

  private readonly now: () => number;

  get rate(): number {
    return this.ratePerSec;
  }

  get capacity(): number {
    return Math.max(1, this.ratePerSec * this.burstSeconds);
  }

  /** Change the rate; tokens already earned at the old rate are kept (up to the new capacity). */
  setRate(rate: number): void {
    this.refill();
    this.ratePerSec = rate;
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  /** Drop the accrued tokens (after a pause: resuming must not start with a burst). */
  reset(): void {
    this.tokens = 0;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
    this.last = t;
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Spend up to `max` tokens; returns how many were spent. */
  take(max: number): number {
    const n = Math.min(max, this.available());
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens will be available (0 if they are now). */
  waitMs(n: number): number {
    this.refill();
    const missing = Math.min(n, this.capacity) - this.tokens;
    return missing <= 0 ? 0 : (missing / this.ratePerSec) * 1000;
  }
}
