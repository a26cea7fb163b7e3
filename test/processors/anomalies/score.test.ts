import { describe, expect, it } from 'vitest';
import { median, robustScore } from '../../../processors/anomalies/score.js';

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
});
