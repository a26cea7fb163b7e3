import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../producer/token-bucket.js';

describe('TokenBucket', () => {
  it('accrues tokens at the rate, capped at half a second of them', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, { now: () => now });
    expect(bucket.available()).toBe(0);
    now = 100;
    expect(bucket.take(1000)).toBe(100);
    now = 10_000;
    expect(bucket.available()).toBe(500);
  });

  it('says how long to wait for n tokens, also at very low rates', () => {
    let now = 0;
    const bucket = new TokenBucket(1, { now: () => now });
    expect(bucket.waitMs(1)).toBe(1000);
    now = 600;
    expect(bucket.waitMs(1)).toBeCloseTo(400);
    now = 1000;
    expect(bucket.take(5)).toBe(1);
  });

  it('holds the average rate over a long simulated run', () => {
    let now = 0;
    const bucket = new TokenBucket(10_000, { now: () => now });
    let sent = 0;
    while (now < 30_000) {
      now += 7 + (sent % 13); // irregular loop timing
      sent += bucket.take(10_000);
    }
    const perSecond = sent / (now / 1000);
    expect(perSecond).toBeGreaterThan(9_900);
    expect(perSecond).toBeLessThanOrEqual(10_000);
  });

  it('a rate change applies at once; reset drops the accrued burst', () => {
    let now = 0;
    const bucket = new TokenBucket(100, { now: () => now });
    now = 1000;
    bucket.setRate(10);
    expect(bucket.available()).toBe(5);
    bucket.reset();
    expect(bucket.available()).toBe(0);
  });
});
