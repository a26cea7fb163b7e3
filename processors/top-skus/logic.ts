/**
 * Top N SKUs by revenue per event-time hour, over all stores. Final-only: nothing is emitted
 * while the hour is open; when the watermark (the minimum over every input partition) passes the
 * hour's end plus the allowed lateness, the ranking is emitted once and the hour is forgotten.
 *
 * Late-update policy: there are no revisions. Lines that arrive within the allowed lateness are
 * in the ranking (it is only computed after that); lines that arrive after it are late for every
 * processor, go to `retail.sales.late` and are in neither the hourly table nor the ranking, so the
 * two always agree. `revision` is always 1 and kept in the record for a future revising policy.
 *
 * Ranks follow SQL `rank()` ordered by revenue descending: equal revenue shares a rank, the next
 * rank skips; every SKU with rank ≤ N is listed (so ties can make the list longer than N).
 */
import { topSkusKey } from '../../lib/contracts/aggregates/keys.js';
import type { CompactEvent, Emit, ProcessorLogic } from '../runtime/types.js';
import { HOUR, floorTo, iso } from '../runtime/types.js';

export interface RankedSku {
  rank: number;
  sku: string;
  revenue_cents: number;
  quantity: number;
}

export interface TopSkusValue {
  window_start: string;
  window_end: string;
  final: true;
  revision: number;
  skus_seen: number;
  top: RankedSku[];
}

interface Sums {
  revenue: number;
  quantity: number;
}

export function rankTop(sums: Map<string, Sums>, n: number): RankedSku[] {
  const sorted = [...sums.entries()].sort(
    ([skuA, a], [skuB, b]) => b.revenue - a.revenue || (skuA < skuB ? -1 : skuA > skuB ? 1 : 0),
  );
  const out: RankedSku[] = [];
  let rank = 0;
  let prevRevenue: number | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i];
    if (!entry) break;
    const [sku, s] = entry;
    if (s.revenue !== prevRevenue) rank = i + 1;
    prevRevenue = s.revenue;
    if (rank > n) break;
    out.push({ rank, sku, revenue_cents: s.revenue, quantity: s.quantity });
  }
  return out;
}

export class TopSkusLogic implements ProcessorLogic {
  private readonly hours = new Map<number, Map<string, Sums>>();
  private closed = 0;
  private keys = 0;

  constructor(
    private readonly topic: string,
    private readonly allowedLatenessMs: number,
    private readonly topN: number,
  ) {}

  closesAt(t: number): number {
    return floorTo(t, HOUR) + HOUR + this.allowedLatenessMs;
  }

  expiresAt(t: number): number {
    return this.closesAt(t);
  }

  add(e: CompactEvent): void {
    const start = floorTo(e.t, HOUR);
    let hour = this.hours.get(start);
    if (!hour) {
      hour = new Map();
      this.hours.set(start, hour);
    }
    let s = hour.get(e.sku);
    if (!s) {
      s = { revenue: 0, quantity: 0 };
      hour.set(e.sku, s);
      this.keys++;
    }
    s.revenue += e.qty * e.price;
    s.quantity += e.qty;
  }

  flush(watermark: number, emit: Emit): void {
    for (const start of [...this.hours.keys()].sort((a, b) => a - b)) {
      if (start + HOUR + this.allowedLatenessMs > watermark) break;
      const hour = this.hours.get(start);
      if (!hour) continue;
      const value: TopSkusValue = {
        window_start: iso(start),
        window_end: iso(start + HOUR),
        final: true,
        revision: 1,
        skus_seen: hour.size,
        top: rankTop(hour, this.topN),
      };
      emit({ topic: this.topic, key: topSkusKey({ window_start: start }), value: JSON.stringify(value) });
      this.hours.delete(start);
      this.keys -= hour.size;
      this.closed++;
    }
  }

  restoredAt(_watermark: number): void {}

  openWindows(): number {
    return this.hours.size;
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
