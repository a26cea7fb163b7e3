/**
 * Brute-force definitions of the three results, for unit tests (the integration tests use SQL).
 * Revenue is summed exactly (BigInt) and given as the decimal string the processors emit.
 */
import type { CompactEvent } from '../../../processors/runtime/types.js';
import { HOUR, MINUTE, floorTo, iso } from '../../../processors/runtime/types.js';

export { seededRandom } from '../../../bench/lib/random.js';

export function hourlyExpected(events: CompactEvent[]): Map<string, [number, string, number, number]> {
  const m = new Map<string, { q: number; r: bigint; ret: number; b: Set<string> }>();
  for (const e of events) {
    const k = `${iso(floorTo(e.t, HOUR))}|${e.store}|${e.sku}`;
    const a = m.get(k) ?? { q: 0, r: 0n, ret: 0, b: new Set<string>() };
    a.q += e.qty;
    a.r += BigInt(e.qty * e.price);
    if (e.qty < 0) a.ret++;
    a.b.add(e.basket);
    m.set(k, a);
  }
  return new Map([...m].map(([k, a]) => [k, [a.q, a.r.toString(), a.ret, a.b.size]]));
}

const firstLines = new WeakMap<CompactEvent[], Map<string, number>>();

/**
 * The rolling window ending at `end` per store. `firstLine`: a basket is an order of the window
 * that holds the first of its lines (in input order) — the processors' definition
 * (processors/rolling/logic.ts); otherwise distinct baskets with any line in the window (SQL's).
 */
export function rollingAt(
  events: CompactEvent[],
  end: number,
  firstLine = false,
): Map<string, [number, string, number]> {
  const m = new Map<string, { q: number; r: bigint; b: Set<string> }>();
  let first = firstLines.get(events);
  if (!first) {
    first = new Map<string, number>();
    for (const e of events)
      if (!first.has(`${e.store}|${e.basket}`)) first.set(`${e.store}|${e.basket}`, e.t);
    firstLines.set(events, first);
  }
  for (const e of events) {
    if (e.t < end - HOUR || e.t >= end) continue;
    const a = m.get(e.store) ?? { q: 0, r: 0n, b: new Set<string>() };
    a.q += e.qty;
    a.r += BigInt(e.qty * e.price);
    const t0 = first.get(`${e.store}|${e.basket}`) as number;
    if (!firstLine || (Math.floor(t0 / MINUTE) * MINUTE >= end - HOUR && t0 < end)) a.b.add(e.basket);
    m.set(e.store, a);
  }
  return new Map([...m].map(([k, a]) => [k, [a.q, a.r.toString(), a.b.size]]));
}

export { HOUR, MINUTE };
