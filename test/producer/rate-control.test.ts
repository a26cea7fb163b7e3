import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { pausedRecord, rateRecord } from '../../lib/contracts/control.js';
import { producerMetrics } from '../../producer/metrics.js';
import { RateControl } from '../../producer/rate-control.js';

const silent = createLogger('test', { write: () => undefined });

function setup(rate = 100, maxRate = 1000) {
  const metrics = producerMetrics();
  const bucket = { rates: [] as number[], resets: 0 };
  const control = new RateControl({
    rate,
    maxRate,
    metrics,
    log: silent,
    bucket: { setRate: (r) => bucket.rates.push(r), reset: () => bucket.resets++ },
  });
  const gauge = async (name: 'targetRate' | 'configuredRate' | 'rateCap' | 'paused') =>
    (await metrics[name].get()).values[0]?.value;
  const changes = async (kind: string, result: string) =>
    (await metrics.controlChanges.get()).values.find(
      (v) => v.labels['kind'] === kind && v.labels['result'] === result,
    )?.value ?? 0;
  return { control, bucket, gauge, changes };
}

describe('RateControl', () => {
  it('starts at the configured rate, unpaused, with the cap exported', async () => {
    const { control, gauge } = setup(100, 1000);
    expect([control.rate, control.paused]).toEqual([100, false]);
    expect([await gauge('targetRate'), await gauge('configuredRate'), await gauge('rateCap')]).toEqual([
      100, 100, 1000,
    ]);
    expect(await gauge('paused')).toBe(0);
  });

  it('applies a new rate to the bucket and the gauges, and says who changed it', async () => {
    const { control, bucket, gauge, changes } = setup();
    expect(control.apply(rateRecord(500, 'alice'), false)).toBe(true);
    expect(control.rate).toBe(500);
    expect(bucket.rates).toEqual([500]);
    expect(await gauge('targetRate')).toBe(500);
    expect(control.lastChange).toMatch(/^rate 100→500\/s by alice at /);
    expect(await changes('rate', 'applied')).toBe(1);
    // The same rate again is no change.
    expect(control.apply(rateRecord(500, 'bob'), false)).toBe(false);
  });

  it('refuses a rate above the cap (or not a whole number) and keeps the current one', async () => {
    const { control, bucket, changes } = setup(100, 1000);
    expect(control.apply(rateRecord(5000, 'mallory'), false)).toBe(true);
    expect(control.apply(rateRecord(2.5, 'mallory'), false)).toBe(true);
    expect(control.rate).toBe(100);
    expect(bucket.rates).toEqual([]);
    expect(control.lastChange).toBe('refused rate 2.5/s from mallory: outside 1..1000');
    expect(await changes('rate', 'refused')).toBe(2);
  });

  it('pause zeroes the target rate; resume restores it and drops accrued tokens', async () => {
    const { control, bucket, gauge } = setup(100);
    expect(control.apply(pausedRecord(true, 'ops'), true)).toBe(true);
    expect(control.paused).toBe(true);
    expect([await gauge('paused'), await gauge('targetRate')]).toEqual([1, 0]);
    // A rate change while paused is remembered but does not unpause the target.
    control.apply(rateRecord(300, 'ops'), false);
    expect(await gauge('targetRate')).toBe(0);
    expect(control.apply(pausedRecord(true, 'ops'), false)).toBe(false);
    expect(control.apply(pausedRecord(false, 'ops'), false)).toBe(true);
    expect(bucket.resets).toBe(1);
    expect([await gauge('paused'), await gauge('targetRate')]).toEqual([0, 300]);
    expect(control.lastChange).toMatch(/^resumed by ops at /);
  });
});
