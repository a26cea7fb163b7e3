import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { anomalyMetrics, shown } from '../../../processors/anomalies/metrics.js';
import type { Score } from '../../../processors/anomalies/score.js';

const score = (s: number, anomalous: boolean): Score => ({
  observed: 0,
  expected: 0,
  mad: 1,
  score: s,
  direction: s >= 0 ? 'up' : 'down',
  anomalous,
});

describe('the anomaly score gauge', () => {
  it('shows the score, except an unconfirmed revenue deviation, kept inside the threshold', () => {
    expect(shown(score(6.2, true), 3.5)).toBe(6.2);
    expect(shown(score(1.4, false), 3.5)).toBe(1.4);
    expect(shown(score(8, false), 3.5)).toBeCloseTo(3.499, 9);
    expect(shown(score(-8, false), 3.5)).toBeCloseTo(-3.499, 9);
  });

  it('the gauge of an unconfirmed revenue deviation stays below the alert threshold', async () => {
    const registry = new Registry();
    const observe = anomalyMetrics(registry, 3.5);
    observe('S1', 'revenue', score(9, false));
    observe('S1', 'units', score(-5, true));
    const text = await registry.metrics();
    expect(text).toContain('retail_processor_anomaly_score{store="S1",metric="revenue"} 3.499');
    expect(text).toContain('retail_processor_anomaly_score{store="S1",metric="units"} -5');
    expect(text).toContain('retail_processor_anomalies_total{store="S1",metric="units",direction="down"} 1');
    expect(text).not.toContain('retail_processor_anomalies_total{store="S1",metric="revenue"');
  });
});
