/**
 * Hourly sales per store and SKU: tumbling one-hour event-time windows. While a window is open
 * every batch that changed a key emits its current value (`final: false`); when the watermark
 * passes the window's end plus the allowed lateness the window emits `final: true` once and is
 * forgotten. `events` counts the accepted lines in the key so far, so it grows strictly from one
 * update of a key to the next — a reader can tell a repeated update from a new one.
 *
 * `orders` counts distinct baskets: a line counts a new order for its key when its basket was not
 * seen for that key within the dedup horizon (task-wide FirstSight), so no basket ids are held per
 * window. Exact as long as the lines of one basket arrive within the horizon of each other (one
 * checkout; the generator gives them one event time).
 *
 * State in the changelog: one key per (hour, store, SKU) → `[quantity, revenue, returns, events,
 * orders]`, written when it changed and tombstoned when the hour closes. Revenue is a BigInt, written
 * as a decimal string in the changelog and the output (lib/contracts/aggregates/sums.ts); a number
 * written by an older version is read too.
 */
import { encodeKey } from '../../lib/contracts/aggregates/keys.js';
import { sumFromState, sumToJson } from '../../lib/contracts/aggregates/sums.js';
import { parseRow } from '../runtime/row.js';
import type { CompactEvent, Emit, FirstSight, ProcessorLogic, StateChange } from '../runtime/types.js';
import { HOUR, HourWindowLogic, floorTo, innerMap, innerSet, iso } from '../runtime/types.js';

export interface HourlyValue {
  window_start: string;
  window_end: string;
  store_id: string;
  sku: string;
  quantity: number;
  /** decimal string: exact beyond 2^53 */
  revenue_cents: string;
  returns: number;
  orders: number;
  events: number;
  final: boolean;
}

interface Agg {
  start: number;
  store: string;
  sku: string;
  quantity: number;
  revenue: bigint;
  returns: number;
  events: number;
  orders: number;
}

/** `[quantity, revenue, returns, events, orders]`; revenue a decimal string (a number in older state). */
type Row = [number, string | number, number, number, number];

/** Changelog key of an aggregate: hour start, store and SKU (NUL-separated: ids never hold NUL). */
const stateKey = (start: number, store: string, sku: string): string => `${start}\u0000${store}\u0000${sku}`;

/** Told the final figures of every key of an hour as the hour closes (the anomaly operator). */
export type HourClosedListener = (start: number, store: string, revenue: bigint, quantity: number) => void;

export class HourlyLogic extends HourWindowLogic implements ProcessorLogic {
  /** window start → store → sku → aggregate (nested maps: no key strings built per event) */
  private readonly windows = new Map<number, Map<string, Map<string, Agg>>>();
  private readonly dirty = new Map<number, Set<Agg>>();
  /** Aggregates changed since the last takeChanges, and keys of those whose hour closed. */
  private readonly changed = new Set<Agg>();
  private gone: string[] = [];
  private readonly isoCache = new Map<number, [string, string]>();
  private closed = 0;
  private keys = 0;
  private closedListener: HourClosedListener | undefined;

  constructor(
    private readonly topic: string,
    allowedLatenessMs: number,
  ) {
    super(allowedLatenessMs);
  }

  /** Hand every closing hour's final figures to `listener`, in the flush that closes it. */
  onHourClosed(listener: HourClosedListener): void {
    this.closedListener = listener;
  }

  private aggOf(start: number, store: string, sku: string): Agg {
    const perStore = innerMap(innerMap(this.windows, start), store);
    let agg = perStore.get(sku);
    if (!agg) {
      agg = { start, store, sku, quantity: 0, revenue: 0n, returns: 0, events: 0, orders: 0 };
      perStore.set(sku, agg);
      this.keys++;
    }
    return agg;
  }

  add(e: CompactEvent, firstSight: FirstSight): void {
    const start = floorTo(e.t, HOUR);
    const agg = this.aggOf(start, e.store, e.sku);
    agg.quantity += e.qty;
    // One line is at most 10^12 cents: exact as a number; the sum is not.
    agg.revenue += BigInt(e.qty * e.price);
    if (e.qty < 0) agg.returns++;
    agg.events++;
    if (firstSight(`h\u0000${start}\u0000${e.store}\u0000${e.sku}\u0000${e.basket}`)) agg.orders++;
    innerSet(this.dirty, start).add(agg);
    this.changed.add(agg);
  }

  flush(watermark: number, emit: Emit): void {
    for (const start of [...this.windows.keys()].sort((a, b) => a - b)) {
      const window = this.windows.get(start);
      if (!window) continue;
      if (this.closesAt(start) <= watermark) {
        for (const perStore of window.values()) {
          for (const agg of perStore.values()) {
            this.emitAgg(start, agg, true, emit);
            this.closedListener?.(start, agg.store, agg.revenue, agg.quantity);
            this.changed.delete(agg);
            this.gone.push(stateKey(start, agg.store, agg.sku));
          }
          this.keys -= perStore.size;
        }
        this.windows.delete(start);
        this.dirty.delete(start);
        this.isoCache.delete(start);
        this.closed++;
        continue;
      }
      const d = this.dirty.get(start);
      if (d) for (const agg of d) this.emitAgg(start, agg, false, emit);
    }
    this.dirty.clear();
  }

  private emitAgg(start: number, agg: Agg, final: boolean, emit: Emit): void {
    let isos = this.isoCache.get(start);
    if (!isos) {
      isos = [iso(start), iso(start + HOUR)];
      this.isoCache.set(start, isos);
    }
    const value: HourlyValue = {
      window_start: isos[0],
      window_end: isos[1],
      store_id: agg.store,
      sku: agg.sku,
      quantity: agg.quantity,
      revenue_cents: sumToJson(agg.revenue),
      returns: agg.returns,
      orders: agg.orders,
      events: agg.events,
      final,
    };
    emit({
      topic: this.topic,
      key: encodeKey([isos[0], agg.store, agg.sku]),
      value: JSON.stringify(value),
      upsert: true,
    });
  }

  takeChanges(change: StateChange): void {
    for (const key of this.gone) change(key, null);
    this.gone = [];
    for (const a of this.changed) {
      const row: Row = [a.quantity, sumToJson(a.revenue), a.returns, a.events, a.orders];
      change(stateKey(a.start, a.store, a.sku), JSON.stringify(row));
    }
    this.changed.clear();
  }

  restoreEntry(key: string, value: Buffer | string): void {
    // A restore calls this once per live key (hundreds of thousands): no array from split.
    const a = key.indexOf('\u0000');
    const b = key.indexOf('\u0000', a + 1);
    const [quantity, revenue, returns, events, orders] = parseRow(value) as Row;
    const agg = this.aggOf(Number(key.slice(0, a)), key.slice(a + 1, b), key.slice(b + 1));
    agg.quantity = quantity;
    agg.returns = returns;
    agg.events = events;
    agg.orders = orders;
    agg.revenue = sumFromState(revenue, `hourly state ${JSON.stringify(key)}`);
  }

  /** Revenue and quantity per (hour, SKU) over all stores: what top SKUs' first stage sums. */
  *skuSums(): Iterable<[number, string, bigint, number]> {
    for (const [start, window] of this.windows)
      for (const perStore of window.values())
        for (const agg of perStore.values()) yield [start, agg.sku, agg.revenue, agg.quantity];
  }

  restoredAt(_watermark: number): void {
    // Hours already closed are tombstoned in the changelog; a restore emits nothing by itself.
    this.dirty.clear();
  }

  openWindows(): number {
    return this.windows.size;
  }

  stateKeys(): number {
    return this.keys;
  }

  takeClosedCount(): number {
    const n = this.closed;
    this.closed = 0;
    return n;
  }
}
