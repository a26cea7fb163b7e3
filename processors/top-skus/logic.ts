/**
 * Top N SKUs by revenue per event-time hour, over all stores: the output record and the ranking.
 * Computed in two stages (partial.ts in every partition task, merge.ts over their partial sums).
 * Final-only: nothing is emitted while the hour is open; when every input partition's watermark
 * (idle ones aside) passed the hour's end plus the allowed lateness, the ranking is emitted once.
 *
 * Late-update policy: there are no revisions. Lines that arrive within the allowed lateness are
 * in the ranking (it is only computed after that); lines that arrive after it are late for every
 * processor, go to `retail.sales.late` and are in neither the hourly table nor the ranking, so the
 * two always agree. `revision` is always 1 and kept in the record for a future revising policy.
 *
 * Ranks follow SQL `rank()` ordered by revenue descending: equal revenue shares a rank, the next
 * rank skips; every SKU with rank ≤ N is listed (so ties can make the list longer than N).
 * Revenue is compared and written exactly (BigInt; a decimal string in the record).
 */
import { sumToJson } from '../../lib/contracts/aggregates/sums.js';

export interface RankedSku {
  rank: number;
  sku: string;
  /** decimal string: exact beyond 2^53 */
  revenue_cents: string;
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
  revenue: bigint;
  quantity: number;
}

export function rankTop(sums: Map<string, Sums>, n: number): RankedSku[] {
  const sorted = [...sums.entries()].sort(([skuA, a], [skuB, b]) =>
    b.revenue > a.revenue ? 1 : b.revenue < a.revenue ? -1 : skuA < skuB ? -1 : skuA > skuB ? 1 : 0,
  );
  const out: RankedSku[] = [];
  let rank = 0;
  let prevRevenue: bigint | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i];
    if (!entry) break;
    const [sku, s] = entry;
    if (s.revenue !== prevRevenue) rank = i + 1;
    prevRevenue = s.revenue;
    if (rank > n) break;
    out.push({ rank, sku, revenue_cents: sumToJson(s.revenue), quantity: s.quantity });
  }
  return out;
}
