import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../lib/contracts/event/validate.js';
import { isOpen } from '../../producer/catalogue.js';
import type { GeneratedEvent } from '../../producer/generator.js';
import { SaleGenerator } from '../../producer/generator.js';

const START = Date.UTC(2024, 4, 17, 9, 0, 0); // a Friday morning, UTC

/** A clock that advances 1 ms per call: deterministic, like the producer's --start-time mode. */
function fakeClock(start = START): () => number {
  let t = start;
  return () => (t += 1);
}

function take(gen: SaleGenerator, n: number): GeneratedEvent[] {
  return Array.from({ length: n }, () => gen.next());
}

describe('SaleGenerator', () => {
  it('gives the same events, ids included, for the same seed and clock', () => {
    const a = take(new SaleGenerator({ seed: 42 }, fakeClock()), 5000);
    const b = take(new SaleGenerator({ seed: 42 }, fakeClock()), 5000);
    expect(b).toEqual(a);
    const c = take(new SaleGenerator({ seed: 43 }, fakeClock()), 5000);
    expect(c.map((g) => g.event.event_id)).not.toEqual(a.map((g) => g.event.event_id));
  });

  it('every generated event passes the shared validator', () => {
    const gen = new SaleGenerator(
      { seed: 7, lateShare: 0.2, returnShare: 0.2, duplicateShare: 0.05 },
      fakeClock(Date.now() - 3_600_000),
    );
    for (const g of take(gen, 50_000)) {
      const v = validateEvent(g.event);
      if (!v.ok) throw new Error(`${JSON.stringify(g.event)}: ${JSON.stringify(v.problems)}`);
    }
  });

  it('produces returns, duplicates and late events at about the configured shares', () => {
    const gen = new SaleGenerator(
      { seed: 1, returnShare: 0.1, duplicateShare: 0.02, lateShare: 0.05, lateMeanMs: 60_000 },
      fakeClock(),
    );
    const events = take(gen, 100_000);
    const dups = events.filter((g) => g.duplicate);
    expect(dups.length / events.length).toBeGreaterThan(0.015);
    expect(dups.length / events.length).toBeLessThan(0.025);
    // A duplicate is an exact copy of an event emitted earlier.
    const seen = new Map(events.filter((g) => !g.duplicate).map((g) => [g.event.event_id, g.event]));
    for (const d of dups) expect(d.event).toEqual(seen.get(d.event.event_id));
    // Non-duplicates never share an event_id.
    expect(seen.size).toBe(events.length - dups.length);
    const baskets = new Map<string, GeneratedEvent>();
    for (const g of events) if (!g.duplicate) baskets.set(g.event.basket_id, g);
    const returnBaskets = [...baskets.values()].filter((g) => g.event.quantity < 0).length;
    expect(returnBaskets / baskets.size).toBeGreaterThan(0.08);
    expect(returnBaskets / baskets.size).toBeLessThan(0.12);
    const late = [...baskets.values()].filter((g) => g.late);
    expect(late.length / baskets.size).toBeGreaterThan(0.04);
    expect(late.length / baskets.size).toBeLessThan(0.06);
  }, 60_000); // 100,000 events: seconds on a busy two-core machine, over the 5 s default

  it('late events lag the clock by the chosen distribution, bounded by lateMaxMs', () => {
    let now = START;
    const gen = new SaleGenerator(
      { seed: 3, lateShare: 1, lateDistribution: 'uniform', lateMeanMs: 10_000, lateMaxMs: 10_000 },
      () => now,
    );
    const lags = take(gen, 20_000).map((g) => now - g.event.event_time);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...lags)).toBeLessThanOrEqual(10_000);
    const mean = lags.reduce((a, b) => a + b, 0) / lags.length;
    expect(mean).toBeGreaterThan(4500);
    expect(mean).toBeLessThan(5500);
    now += 0;
  });

  it('baskets have several lines sharing basket, store, time and customer', () => {
    const gen = new SaleGenerator({ seed: 9, duplicateShare: 0 }, fakeClock());
    const events = take(gen, 20_000).map((g) => g.event);
    const byBasket = new Map<string, typeof events>();
    for (const e of events) byBasket.set(e.basket_id, [...(byBasket.get(e.basket_id) ?? []), e]);
    const sizes = [...byBasket.values()].map((b) => b.length);
    expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeGreaterThan(2);
    for (const lines of byBasket.values()) {
      expect(
        new Set(lines.map((l) => `${l.store_id}|${l.event_time}|${l.customer_id}|${l.channel}`)).size,
      ).toBe(1);
    }
  });

  it('SKU popularity is skewed (Zipf): the top 1 % of SKUs sell far more than 1 % of lines', () => {
    const gen = new SaleGenerator({ seed: 5, skus: 2000, promoShare: 0 }, fakeClock());
    const counts = new Map<string, number>();
    for (const g of take(gen, 50_000)) counts.set(g.event.sku, (counts.get(g.event.sku) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, 20).reduce((a, b) => a + b, 0);
    expect(top / 50_000).toBeGreaterThan(0.2);
  });

  it('in-store sales only happen in open stores; at night online dominates', () => {
    const day = new SaleGenerator({ seed: 11, lateShare: 0, duplicateShare: 0 }, () => START);
    for (const g of take(day, 5000)) {
      const store = day.catalogue.stores.find((s) => s.id === g.event.store_id);
      if (g.event.channel === 'store') expect(store && isOpen(store, g.event.event_time)).toBe(true);
    }
    const promos = day.promotionsOn(START);
    expect(promos).toHaveLength(2);
    expect(day.promotionsOn(START + 86_400_000)).not.toEqual(promos);
  });
});
