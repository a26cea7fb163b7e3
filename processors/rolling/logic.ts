/**
 * Store rolling hour: a hopping window one hour long that advances every minute, per store.
 * Why hopping and not exactly sliding: an exactly sliding window changes with every event, so it
 * either emits per event (output as large as the input) or must be evaluated at chosen instants —
 * which is what a one-minute hop is, with the instants fixed and known to readers and SQL alike.
 *
 * Each window `[end − 1 h, end)` is emitted once, when the watermark passes `end` plus the allowed
 * lateness (final-only), for every store that has at least one line in it. State is one bucket per
 * store and event-time minute plus a running total per store for the last emitted window; moving
 * the window by a minute adds one bucket and subtracts one, so a step costs O(active stores).
 */
import { rollingKey } from '../../lib/contracts/aggregates/keys.js';
import type { CompactEvent, Emit, ProcessorLogic } from '../runtime/types.js';
import { HOUR, MINUTE, floorTo, innerMap, innerSet, iso } from '../runtime/types.js';

export interface RollingValue {
  store_id: string;
  window_start: string;
  window_end: string;
  quantity: number;
  revenue_cents: number;
  orders: number;
  events: number;
}

interface Totals {
  quantity: number;
  revenue: number;
  events: number;
  baskets: Map<string, number>;
}

const emptyTotals = (): Totals => ({ quantity: 0, revenue: 0, events: 0, baskets: new Map() });

function addInto(into: Totals, from: Totals, sign: 1 | -1): void {
  into.quantity += sign * from.quantity;
  into.revenue += sign * from.revenue;
  into.events += sign * from.events;
  for (const [b, n] of from.baskets) {
    const next = (into.baskets.get(b) ?? 0) + sign * n;
    if (next === 0) into.baskets.delete(b);
    else into.baskets.set(b, next);
  }
}

export class RollingLogic implements ProcessorLogic {
  /** store → minute → bucket */
  private readonly buckets = new Map<string, Map<number, Totals>>();
  /** minute → stores with a bucket there */
  private readonly minutes = new Map<number, Set<string>>();
  /** store → totals of the window ending at `cursor` */
  private readonly running = new Map<string, Totals>();
  /** End of the last window emitted (−∞ before the first). */
  private cursor = -Infinity;
  private bucketCount = 0;
  private closed = 0;

  constructor(
    private readonly topic: string,
    private readonly allowedLatenessMs: number,
  ) {}

  closesAt(t: number): number {
    return floorTo(t, MINUTE) + MINUTE + this.allowedLatenessMs;
  }

  expiresAt(t: number): number {
    return floorTo(t, MINUTE) + HOUR + this.allowedLatenessMs;
  }

  add(e: CompactEvent): void {
    const m = floorTo(e.t, MINUTE);
    const perStore = innerMap(this.buckets, e.store);
    let bucket = perStore.get(m);
    if (!bucket) {
      bucket = emptyTotals();
      perStore.set(m, bucket);
      this.bucketCount++;
      innerSet(this.minutes, m).add(e.store);
    }
    const one: Totals = {
      quantity: e.qty,
      revenue: e.qty * e.price,
      events: 1,
      baskets: new Map([[e.basket, 1]]),
    };
    addInto(bucket, one, 1);
    // Only while restoring can an event fall into the window already emitted (see restoredAt).
    if (m < this.cursor && m >= this.cursor - HOUR) addInto(this.runningOf(e.store), one, 1);
  }

  private runningOf(store: string): Totals {
    let r = this.running.get(store);
    if (!r) {
      r = emptyTotals();
      this.running.set(store, r);
    }
    return r;
  }

  flush(watermark: number, emit: Emit): void {
    if (!Number.isFinite(watermark)) return;
    const target = floorTo(watermark - this.allowedLatenessMs, MINUTE);
    while (this.cursor < target) {
      if (this.running.size === 0) {
        // Nothing in the current window: jump to the first minute that has data.
        let first = Infinity;
        for (const m of this.minutes.keys()) if (m >= this.cursor && m < first) first = m;
        if (first === Infinity || first >= target) {
          this.cursor = target;
          break;
        }
        this.cursor = first;
      }
      this.step(emit);
    }
  }

  /** Move the window from `[cursor − 1 h, cursor)` to `[cursor − 59 min, cursor + 1 min)` and emit it. */
  private step(emit: Emit): void {
    const entering = this.cursor;
    const leaving = this.cursor - HOUR;
    for (const store of this.minutes.get(entering) ?? []) {
      const b = this.buckets.get(store)?.get(entering);
      if (b) addInto(this.runningOf(store), b, 1);
    }
    for (const store of this.minutes.get(leaving) ?? []) {
      const perStore = this.buckets.get(store);
      const b = perStore?.get(leaving);
      const r = this.running.get(store);
      if (b && r) addInto(r, b, -1);
      if (b) this.bucketCount--;
      perStore?.delete(leaving);
      if (perStore && perStore.size === 0) this.buckets.delete(store);
    }
    this.minutes.delete(leaving);
    this.cursor += MINUTE;
    for (const [store, r] of this.running) {
      if (r.events === 0) {
        this.running.delete(store);
        continue;
      }
      const value: RollingValue = {
        store_id: store,
        window_start: iso(this.cursor - HOUR),
        window_end: iso(this.cursor),
        quantity: r.quantity,
        revenue_cents: r.revenue,
        orders: r.baskets.size,
        events: r.events,
      };
      emit({
        topic: this.topic,
        key: rollingKey({ store_id: store, window_end: this.cursor }),
        value: JSON.stringify(value),
      });
      this.closed++;
    }
  }

  restoredAt(watermark: number): void {
    if (Number.isFinite(watermark)) this.cursor = floorTo(watermark - this.allowedLatenessMs, MINUTE);
  }

  openWindows(): number {
    return this.buckets.size;
  }

  stateKeys(): number {
    return this.bucketCount;
  }

  takeClosedCount(): number {
    const n = this.closed;
    this.closed = 0;
    return n;
  }
}
