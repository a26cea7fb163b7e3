import { describe, expect, it } from 'vitest';
import { checkInjection, injects, scaleQuantity } from '../../producer/anomaly.js';
import { SaleGenerator } from '../../producer/generator.js';

const T0 = Date.UTC(2025, 0, 7, 12, 0, 0);
const HOUR = 3_600_000;

/** Units per store over two simulated hours (the second one injected when `factor` is set). */
function units(factor?: number): { before: Map<string, number>; during: Map<string, number> } {
  let pulled = 0;
  const g = new SaleGenerator(
    { seed: 7, stores: 5, lateShare: 0, duplicateShare: 0 },
    () => T0 + pulled * 1_000,
  );
  if (factor !== undefined) g.inject({ store: 'S0002', factor, from: T0 + HOUR, until: T0 + 2 * HOUR });
  const before = new Map<string, number>();
  const during = new Map<string, number>();
  for (; pulled < 7_200; pulled++) {
    const { event } = g.next();
    const m = event.event_time < T0 + HOUR ? before : during;
    m.set(event.store_id, (m.get(event.store_id) ?? 0) + event.quantity);
  }
  return { before, during };
}

describe('anomaly injection', () => {
  it('scales a quantity, keeping the sign and the contract bound', () => {
    expect(scaleQuantity(3, 5)).toBe(15);
    expect(scaleQuantity(-2, 5)).toBe(-10);
    expect(scaleQuantity(5_000, 5)).toBe(10_000);
  });

  it('applies to its store within its window only', () => {
    const inj = { store: 'S1', factor: 2, from: 10, until: 20 };
    expect([
      injects(inj, 'S1', 10),
      injects(inj, 'S1', 19),
      injects(inj, 'S1', 20),
      injects(inj, 'S2', 15),
    ]).toEqual([true, true, false, false]);
  });

  it('refuses a window that ends before it starts and a negative factor', () => {
    expect(() => checkInjection({ store: 'S1', factor: 2, from: 10, until: 10 })).toThrow(/end after/);
    expect(() => checkInjection({ store: 'S1', factor: -1, from: 0, until: 10 })).toThrow(/factor/);
  });

  it('the generator multiplies the store’s units in the window, and factor 0 silences it', () => {
    const normal = units();
    const up = units(5);
    // The hour before the window is untouched (the same seed and clock give the same events).
    expect(up.before).toEqual(normal.before);
    const ratio = (up.during.get('S0002') ?? 0) / (normal.during.get('S0002') ?? 1);
    expect(ratio).toBeGreaterThan(3);
    expect(units(0).during.get('S0002') ?? 0).toBe(0);
  });
});
