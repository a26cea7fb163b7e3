import { describe, expect, it } from 'vitest';
import { confirmedByUnits, median, poissonSigma, robustScore } from '../../../processors/anomalies/score.js';

const opts = { threshold: 3.5, minHistory: 5, madFloorRatio: 0 };

describe('robustScore', () => {
  it('median of odd and even series', () => {
    expect(median([1, 2, 9])).toBe(2);
    expect(median([1, 2, 4, 9])).toBe(3);
  });

  it('scores 0.6745 × (x − median) / MAD on a known series', () => {
    // median 10, deviations [0,1,1,2,2] → MAD 1
    const s = robustScore(20, [8, 9, 10, 11, 12], opts);
    expect(s).toMatchObject({ expected: 10, mad: 1, direction: 'up', anomalous: true });
    expect(s?.score).toBeCloseTo(6.745, 6);
  });

  it('an hour inside the usual spread is not flagged, one far below is flagged down', () => {
    expect(robustScore(13, [8, 9, 10, 11, 12], opts)?.anomalous).toBe(false);
    expect(robustScore(0, [8, 9, 10, 11, 12], opts)).toMatchObject({ direction: 'down', anomalous: true });
  });

  it('is not moved by an earlier anomaly in the history (a mean and σ would be)', () => {
    const withSpike = [8, 9, 10, 11, 12, 500];
    expect(robustScore(20, withSpike, opts)?.anomalous).toBe(true);
  });

  it('does not score before the minimum history', () => {
    expect(robustScore(1000, [10, 10, 10, 10], opts)).toBeUndefined();
  });

  it('a flat history uses the MAD floor instead of dividing by 0', () => {
    const s = robustScore(11, [10, 10, 10, 10, 10], { ...opts, madFloorRatio: 0.05 });
    expect(s?.mad).toBe(1); // max(0, 0.05 × 10 = 0.5, minMad 1)
    expect(s?.anomalous).toBe(false);
    expect(robustScore(0, [0, 0, 0, 0, 0], opts)?.score).toBe(0);
  });

  it('counting noise: the MAD is at least 0.6745 × the Poisson σ, so a quiet store does not fire on noise', () => {
    // Ten units an hour that happen to agree (MAD 0, floor 1): 16 units would score 4.0 without the bound.
    const quiet = [9, 10, 10, 10, 11];
    expect(robustScore(16, quiet, opts)?.anomalous).toBe(true);
    const bounded = robustScore(16, quiet, opts, poissonSigma(10));
    expect(bounded?.mad).toBeCloseTo(0.6745 * Math.sqrt(10), 9);
    expect(bounded?.anomalous).toBe(false);
    // A real spike is still one: 30 units is 6.3 Poisson σ away.
    expect(robustScore(30, quiet, opts, poissonSigma(10))).toMatchObject({
      direction: 'up',
      anomalous: true,
    });
    // A busy store's own spread is wider than its counting noise: the bound changes nothing.
    const busy = [800, 900, 1000, 1100, 1200];
    expect(robustScore(1500, busy, opts, poissonSigma(1000))?.mad).toBe(100);
  });

  it('poissonSigma: √count for a count, the same relative noise for a value', () => {
    expect(poissonSigma(100)).toBe(10);
    expect(poissonSigma(100, 50_000)).toBe(5_000);
    expect(poissonSigma(100, -50_000)).toBe(5_000);
    expect(poissonSigma(0, 1_000)).toBe(0);
  });
});

describe('confirmedByUnits', () => {
  const history = [8, 9, 10, 11, 12];
  const revenueUp = robustScore(20, history, opts)!;
  it('keeps a revenue anomaly when units deviate the same way', () => {
    expect(confirmedByUnits(revenueUp, robustScore(14, history, opts), 3.5).anomalous).toBe(true);
  });
  it('drops a revenue anomaly with usual units, units the other way, or units not scored', () => {
    expect(confirmedByUnits(revenueUp, robustScore(11, history, opts), 3.5).anomalous).toBe(false);
    expect(confirmedByUnits(revenueUp, robustScore(2, history, opts), 3.5).anomalous).toBe(false);
    expect(confirmedByUnits(revenueUp, undefined, 3.5).anomalous).toBe(false);
    // The record's figures are kept: only the decision changes.
    expect(confirmedByUnits(revenueUp, undefined, 3.5).score).toBe(revenueUp.score);
  });
  it('leaves a normal revenue hour as it is', () => {
    const normal = robustScore(11, history, opts)!;
    expect(confirmedByUnits(normal, robustScore(20, history, opts), 3.5)).toBe(normal);
  });
});
