/**
 * Hourly sales per store and SKU: tumbling one-hour event-time windows. While a window is open
 * every batch that changed a key emits its current value (`final: false`); when the watermark
 * passes the window's end plus the allowed lateness the window emits `final: true` once and is
 * forgotten. `events` counts the accepted lines in the key so far, so it grows strictly from one
 * update of a key to the next — a reader can tell a repeated update from a new one.
 */
import { encodeKey } from '../../lib/contracts/aggregates/keys.js';
import type { CompactEvent, Emit, ProcessorLogic } from '../runtime/types.js';
import { HOUR, HourWindowLogic, floorTo, innerMap, innerSet, iso } from '../runtime/types.js';

export interface HourlyValue {
  window_start: string;
  window_end: string;
  store_id: string;
  sku: string;
  quantity: number;
  revenue_cents: number;
  returns: number;
  orders: number;
  events: number;
  final: boolean;
}

interface Agg {
  store: string;
  sku: string;
  quantity: number;
  revenue: number;
  returns: number;
  events: number;
  baskets: Set<string>;
}

export class HourlyLogic extends HourWindowLogic implements ProcessorLogic {
  /** window start → store → sku → aggregate (nested maps: no key strings built per event) */
  private readonly windows = new Map<number, Map<string, Map<string, Agg>>>();
  private readonly dirty = new Map<number, Set<Agg>>();
  private readonly isoCache = new Map<number, [string, string]>();
  private closed = 0;
  private keys = 0;

  constructor(
    private readonly topic: string,
    allowedLatenessMs: number,
  ) {
    super(allowedLatenessMs);
  }

  add(e: CompactEvent, restoring: boolean): void {
    const start = floorTo(e.t, HOUR);
    const perStore = innerMap(innerMap(this.windows, start), e.store);
    let agg = perStore.get(e.sku);
    if (!agg) {
      agg = {
        store: e.store,
        sku: e.sku,
        quantity: 0,
        revenue: 0,
        returns: 0,
        events: 0,
        baskets: new Set(),
      };
      perStore.set(e.sku, agg);
      this.keys++;
    }
    agg.quantity += e.qty;
    agg.revenue += e.qty * e.price;
    if (e.qty < 0) agg.returns++;
    agg.events++;
    agg.baskets.add(e.basket);
    if (!restoring) innerSet(this.dirty, start).add(agg);
  }

  flush(watermark: number, emit: Emit): void {
    for (const start of [...this.windows.keys()].sort((a, b) => a - b)) {
      const window = this.windows.get(start);
      if (!window) continue;
      if (this.closesAt(start) <= watermark) {
        for (const perStore of window.values()) {
          for (const agg of perStore.values()) this.emitAgg(start, agg, true, emit);
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
      revenue_cents: agg.revenue,
      returns: agg.returns,
      orders: agg.baskets.size,
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

  restoredAt(_watermark: number): void {
    // Events of closed hours are filtered out by the runtime before add(); nothing else to do.
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
