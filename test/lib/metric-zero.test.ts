import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { labelProduct, zeroSeries } from '../../lib/metric-zero.js';

describe('zeroSeries', () => {
  it('every combination of label values', () => {
    expect(labelProduct({ a: ['1', '2'], b: ['x', 'y'] })).toEqual([
      { a: '1', b: 'x' },
      { a: '1', b: 'y' },
      { a: '2', b: 'x' },
      { a: '2', b: 'y' },
    ]);
    expect(labelProduct({ a: [] as string[], b: ['x'] })).toEqual([]);
  });

  it('exports each label set at 0, and keeps a value already counted', async () => {
    const registry = new Registry();
    const registers = [registry];
    const c = new Counter({ name: 't_total', help: 'h', labelNames: ['r'] as const, registers });
    const g = new Gauge({ name: 't_gauge', help: 'h', labelNames: ['r'] as const, registers });
    const h = new Histogram({
      name: 't_seconds',
      help: 'h',
      labelNames: ['r'] as const,
      buckets: [1],
      registers,
    });
    c.inc({ r: 'b' }, 3);
    g.set({ r: 'b' }, 7);
    for (const m of [c, g, h]) zeroSeries(m, [{ r: 'a' }, { r: 'b' }]);
    const text = await registry.metrics();
    expect(text).toContain('t_total{r="a"} 0');
    expect(text).toContain('t_total{r="b"} 3');
    expect(text).toContain('t_gauge{r="a"} 0');
    expect(text).toContain('t_gauge{r="b"} 7');
    expect(text).toContain('t_seconds_count{r="a"} 0');
    expect(text).toContain('t_seconds_bucket{le="+Inf",r="b"} 0');
  });
});
