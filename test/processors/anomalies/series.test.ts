import { describe, expect, it } from 'vitest';
import { StoreSeries } from '../../../processors/anomalies/series.js';

describe('StoreSeries', () => {
  it('the baseline is the last N hours, most recent first, bounded', () => {
    const s = new StoreSeries({ points: 3, seasonHours: 1 });
    for (let i = 1; i <= 5; i++) s.push(i * 10, i);
    expect(s.baseline('revenue')).toEqual([50, 40, 30]);
    expect(s.baseline('units')).toEqual([5, 4, 3]);
    expect(s.toRow()[0]).toHaveLength(3);
  });

  it('with a season, the baseline is the same slot of earlier seasons', () => {
    const s = new StoreSeries({ points: 2, seasonHours: 24 });
    for (let h = 0; h < 72; h++) s.push(h, h); // hours 0..71; next is 72 ≡ slot 0
    expect(s.baseline('units')).toEqual([48, 24]);
  });

  it('is silent once the whole history is zeros', () => {
    const s = new StoreSeries({ points: 2, seasonHours: 1 });
    s.push(5, 1);
    s.push(0, 0);
    expect(s.silent()).toBe(false);
    s.push(0, 0);
    expect(s.silent()).toBe(true);
  });
});
