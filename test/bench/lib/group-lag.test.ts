import { describe, expect, it } from 'vitest';
import type { LagSample } from '../../../bench/lib/group-lag.js';
import { lagGrowth, slope } from '../../../bench/lib/group-lag.js';

const series = (seconds: number, f: (t: number) => number): LagSample[] => {
  const out: LagSample[] = [];
  for (let t = 2; t <= seconds; t += 2) out.push({ t, records: f(t) });
  return out;
};

describe('slope', () => {
  it('is the least-squares rate of change', () => {
    expect(slope(series(40, (t) => 100 + 50 * t))).toBeCloseTo(50, 6);
    expect(slope(series(40, () => 7))).toBe(0);
    expect(slope([{ t: 1, records: 5 }])).toBe(0);
  });
});

describe('lagGrowth', () => {
  it('flags a consumer falling behind for the whole window', () => {
    const g = lagGrowth(
      series(44, (t) => 2000 * t),
      30,
      100,
      5000,
    );
    expect(g.grows).toBe(true);
    expect(g.slope).toBeCloseTo(2000, 6);
  });

  it('does not flag a consumer that commits in batches and keeps up', () => {
    // Saw-tooth between 0 and one batch: no trend, never far behind.
    const g = lagGrowth(
      series(44, (t) => (t % 6) * 400),
      30,
      100,
      5000,
    );
    expect(g.grows).toBe(false);
  });

  it('does not flag a short burst that is caught up again', () => {
    const g = lagGrowth(
      series(44, (t) => (t < 10 ? 3000 * t : Math.max(0, 30_000 - 3000 * (t - 10)))),
      30,
      100,
      5000,
    );
    expect(g.grows).toBe(false);
  });

  it('judges a window even when samples come further apart than planned', () => {
    // A busy broker answers slowly: a sample every 3.5 s against a 10 s window.
    const slow: LagSample[] = [];
    for (let t = 3.5; t <= 15; t += 3.5) slow.push({ t, records: 3000 * t });
    expect(lagGrowth(slow, 10, 100, 5000).grows).toBe(true);
  });

  it.each([
    ['needs a full window of samples', 20, 5000, 100],
    ['does not flag a slow climb that stays within the record bound', 44, 10, 5],
  ])('%s', (_what, seconds, perSecond, minSlope) => {
    expect(
      lagGrowth(
        series(seconds, (t) => perSecond * t),
        30,
        minSlope,
        5000,
      ).grows,
    ).toBe(false);
  });
});
