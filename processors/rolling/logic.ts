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
 *
 * `orders` (distinct baskets in the window) without basket ids in the state: a basket is counted
 * in the bucket of the first of its lines seen for the store within the dedup horizon (task-wide
 * FirstSight), so a window's orders are the sum of its buckets'. Exact when the lines of a basket
 * share its minute (one checkout; the generator gives them one event time) and arrive within the
 * horizon; a basket whose lines straddle a minute is counted in the minute of the line seen first.
 *
 * State in the changelog: one key per (store, minute) → `[quantity, revenue, events, orders]`,
 * written when it changed and tombstoned when the bucket leaves the last window. The running
 * totals are recomputed from the buckets on restore. Revenue is a BigInt, a decimal string in the
 * changelog and the output (lib/contracts/aggregates/sums.ts); a number from older state is read too.
 */
import { rollingKey } from '../../lib/contracts/aggregates/keys.js';
import { sumFromState, sumToJson } from '../../lib/contracts/aggregates/sums.js';
import { parseRow } from '../runtime/row.js';
import type { CompactEvent, Emit, FirstSight, ProcessorLogic, StateChange } from '../runtime/types.js';
import { HOUR, MINUTE, floorTo, innerMap, innerSet, iso } from '../runtime/types.js';

export interface RollingValue {
  store_id: string;
  window_start: string;
  window_end: string;
  quantity: number;
  /** decimal string: exact beyond 2^53 */
  revenue_cents: string;
  orders: number;
  events: number;
}

interface Totals {
  quantity: number;
  revenue: bigint;
  events: number;
  orders: number;
}

interface Bucket extends Totals {
  store: string;
  minute: number;
}

/** `[quantity, revenue, events, orders]`; revenue a decimal string (a number in older state). */
type Row = [number, string | number, number, number];

const emptyTotals = (): Totals => ({ quantity: 0, revenue: 0n, events: 0, orders: 0 });

function addInto(into: Totals, from: Totals, sign: 1 | -1): void {
  into.quantity += sign * from.quantity;
  into.revenue += sign === 1 ? from.revenue : -from.revenue;
  into.events += sign * from.events;
  into.orders += sign * from.orders;
}

/** Changelog key of a bucket (NUL-separated: store ids never hold NUL). */
const stateKey = (b: Bucket): string => `${b.store}\u0000${b.minute}`;

export class RollingLogic implements ProcessorLogic {
  /** store → minute → bucket */
  private readonly buckets = new Map<string, Map<number, Bucket>>();
  /** Buckets changed since the last takeChanges, and keys of those dropped. */
  private readonly changed = new Set<Bucket>();
  private gone: string[] = [];
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

  private bucketOf(store: string, m: number): Bucket {
    const perStore = innerMap(this.buckets, store);
    let bucket = perStore.get(m);
    if (!bucket) {
      bucket = { store, minute: m, ...emptyTotals() };
      perStore.set(m, bucket);
      this.bucketCount++;
      innerSet(this.minutes, m).add(store);
    }
    return bucket;
  }

  add(e: CompactEvent, firstSight: FirstSight): void {
    const bucket = this.bucketOf(e.store, floorTo(e.t, MINUTE));
    bucket.quantity += e.qty;
    // One line is at most 10^12 cents: exact as a number; the sum is not.
    bucket.revenue += BigInt(e.qty * e.price);
    bucket.events++;
    if (firstSight(`r\u0000${e.store}\u0000${e.basket}`)) bucket.orders++;
    this.changed.add(bucket);
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
      if (b) {
        this.bucketCount--;
        this.changed.delete(b);
        this.gone.push(stateKey(b));
      }
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
        revenue_cents: sumToJson(r.revenue),
        orders: r.orders,
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

  takeChanges(change: StateChange): void {
    for (const key of this.gone) change(key, null);
    this.gone = [];
    for (const b of this.changed) {
      const row: Row = [b.quantity, sumToJson(b.revenue), b.events, b.orders];
      change(stateKey(b), JSON.stringify(row));
    }
    this.changed.clear();
  }

  restoreEntry(key: string, value: Buffer | string): void {
    const [store, minute] = key.split('\u0000');
    const b = this.bucketOf(store as string, Number(minute));
    const [quantity, revenue, events, orders] = parseRow(value) as Row;
    b.quantity = quantity;
    b.events = events;
    b.orders = orders;
    b.revenue = sumFromState(revenue, `rolling state ${JSON.stringify(key)}`);
  }

  /** The last emitted window ends at the restored watermark's target; its totals come from the buckets. */
  restoredAt(watermark: number): void {
    if (!Number.isFinite(watermark)) return;
    this.cursor = floorTo(watermark - this.allowedLatenessMs, MINUTE);
    this.running.clear();
    for (const [store, perStore] of this.buckets) {
      for (const [m, b] of perStore) {
        if (m < this.cursor && m >= this.cursor - HOUR) addInto(this.runningOf(store), b, 1);
      }
    }
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
