import { describe, expect, it } from 'vitest';
import type { Batch } from '../../producer/batch.js';
import { producerMetrics } from '../../producer/metrics.js';
import { Throughput } from '../../producer/throughput.js';

const batch = (n: number, extra: Partial<Batch> = {}): Batch => ({
  messages: Array.from({ length: n }, () => ({ key: 'S0001', value: Buffer.alloc(10) })),
  bytes: n * 10,
  dups: 0,
  late: 0,
  returns: 0,
  ...extra,
});

describe('Throughput', () => {
  it('counts acknowledged batches in the totals and the metrics, lost ones apart', async () => {
    const metrics = producerMetrics();
    const t = new Throughput(metrics);
    t.acknowledged(batch(10, { dups: 2, returns: 3, late: 1 }));
    t.acknowledged(batch(5));
    t.lost(batch(7));
    expect(t.totals).toEqual({ events: 15, duplicates: 2, late: 1, bytes: 150, unacknowledged: 7 });
    const byKind = Object.fromEntries(
      (await metrics.events.get()).values.map((v) => [v.labels['kind'], v.value]),
    );
    expect(byKind).toEqual({ duplicate: 2, return: 3, sale: 10 });
    expect((await metrics.bytes.get()).values[0]?.value).toBe(150);
    expect((await metrics.lateEvents.get()).values[0]?.value).toBe(1);
  });

  it('measures the actual rate over the last samples', async () => {
    const metrics = producerMetrics();
    const t = new Throughput(metrics);
    t.sample(0);
    expect(t.actualRate).toBe(0);
    for (let s = 1; s <= 10; s++) {
      t.acknowledged(batch(s <= 5 ? 100 : 300));
      t.sample(s * 1000);
    }
    // Six samples are kept: seconds 5..10, so the last five seconds at 300/s.
    expect(t.actualRate).toBe(300);
    expect((await metrics.actualRate.get()).values[0]?.value).toBe(300);
  });
});
