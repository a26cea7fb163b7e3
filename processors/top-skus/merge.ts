/**
 * Top SKUs, stage 2: one task per partition of the partials topic (hours are spread over them by
 * key). It adds the partial sums that stage 1 (partial.ts) forwards and emits an hour's final
 * ranking once the hour is closed for the whole input: the merge watermark is the minimum, over
 * the input partitions, of the last hour each reported closed. Output and guarantees are those of
 * the single-task top SKUs it replaces: one final record per hour, never revised, SQL `rank()` ties.
 *
 * Idleness: a partition whose last report says `idle` is left out of the minimum until it reports
 * again; when every partition is idle, the furthest report counts (each idle partition forwarded
 * all it held, so nothing is in flight). A partition that never reported blocks the minimum: it has
 * not closed anything.
 * Sums that arrive for an hour already emitted (an idle partition that resumes with events of that
 * hour) are returned as late partials: the runner writes them to the late topic, they are never
 * dropped silently and never revise the final record.
 */
import { topSkusKey } from '../../lib/contracts/aggregates/keys.js';
import { sumFromState, sumToJson } from '../../lib/contracts/aggregates/sums.js';
import { HOUR, innerMap, iso } from '../runtime/types.js';
import type { OutRecord } from '../runtime/types.js';
import { rankTop } from './logic.js';
import type { TopSkusValue } from './logic.js';
import type { PartialRecord, StageRecord, SumRow, Sums } from './partial.js';

interface Source {
  through: number;
  idle: boolean;
}

export interface MergeOutcome {
  outputs: OutRecord[];
  late: PartialRecord[];
  /** Hour keys whose sums changed (`h/<hour>`, value null when emitted) and the progress record. */
  changelog: { key: string; value: string | null }[];
  windowsClosed: number;
}

interface Progress {
  next: number;
  emitted: number | null;
  sources: [number, number | null, boolean][];
}

export class MergeState {
  private readonly hours = new Map<number, Map<string, Sums>>();
  private readonly sources = new Map<number, Source>();
  /** Every hour starting at or before this was emitted. */
  private emitted = -Infinity;
  /** Next offset of the partials partition. */
  next: number | undefined;

  constructor(
    private readonly outputTopic: string,
    private readonly inputPartitions: number,
    private readonly topN: number,
  ) {}

  /**
   * The merge watermark: the last hour closed on every partition that is not idle; when every
   * partition is idle (all caught up, nothing in flight), the furthest any of them closed.
   */
  closedThrough(): number {
    let min = Infinity;
    let max = -Infinity;
    let active = 0;
    for (let p = 0; p < this.inputPartitions; p++) {
      const s = this.sources.get(p);
      if (!s) return -Infinity;
      max = Math.max(max, s.through);
      if (s.idle) continue;
      active++;
      min = Math.min(min, s.through);
    }
    return active === 0 ? max : min;
  }

  openHours(): number {
    return this.hours.size;
  }

  /** Apply the records of one batch (in offset order) and emit the hours they closed. */
  apply(records: StageRecord[], nextOffset: number): MergeOutcome {
    const out: MergeOutcome = { outputs: [], late: [], changelog: [], windowsClosed: 0 };
    const dirty = new Set<number>();
    for (const r of records) {
      if (r.k === 'w') {
        this.sources.set(r.src, { through: r.through ?? -Infinity, idle: r.idle });
        continue;
      }
      if (r.h <= this.emitted) {
        out.late.push(r);
        continue;
      }
      const hour = innerMap(this.hours, r.h);
      for (const [sku, rev, quantity] of r.s) {
        // A partial from an older version carries a number: exact below 2^53, so read as is.
        const revenue = sumFromState(rev, `top-skus partial of hour ${r.h}`);
        const s = hour.get(sku);
        if (s) {
          s.revenue += revenue;
          s.quantity += quantity;
        } else hour.set(sku, { revenue, quantity });
      }
      dirty.add(r.h);
    }
    const through = this.closedThrough();
    for (const start of [...this.hours.keys()].sort((a, b) => a - b)) {
      if (start > through) break;
      const hour = this.hours.get(start) as Map<string, Sums>;
      const value: TopSkusValue = {
        window_start: iso(start),
        window_end: iso(start + HOUR),
        final: true,
        revision: 1,
        skus_seen: hour.size,
        top: rankTop(hour, this.topN),
      };
      out.outputs.push({
        topic: this.outputTopic,
        key: topSkusKey({ window_start: start }),
        value: JSON.stringify(value),
      });
      out.changelog.push({ key: `h/${start}`, value: null });
      this.hours.delete(start);
      dirty.delete(start);
      out.windowsClosed++;
    }
    this.emitted = Math.max(this.emitted, through);
    for (const h of dirty) {
      const hour = this.hours.get(h) as Map<string, Sums>;
      out.changelog.push({
        key: `h/${h}`,
        value: JSON.stringify([...hour].map(([sku, s]): SumRow => [sku, sumToJson(s.revenue), s.quantity])),
      });
    }
    this.next = nextOffset;
    const progress: Progress = {
      next: nextOffset,
      emitted: Number.isFinite(this.emitted) ? this.emitted : null,
      sources: [...this.sources].map(([p, s]) => [p, Number.isFinite(s.through) ? s.through : null, s.idle]),
    };
    out.changelog.push({ key: 'progress', value: JSON.stringify(progress) });
    return out;
  }

  /** Rebuild from the changelog's live entries. */
  restore(entries: Map<string, string>): void {
    for (const [key, value] of entries) {
      if (key === 'progress') {
        const p = JSON.parse(value) as Progress;
        this.next = p.next;
        this.emitted = p.emitted ?? -Infinity;
        for (const [src, through, idle] of p.sources)
          this.sources.set(src, { through: through ?? -Infinity, idle });
      } else if (key.startsWith('h/')) {
        const list = JSON.parse(value) as SumRow[];
        const sums = (rev: SumRow[1]) => sumFromState(rev, `top-skus merge state ${key}`);
        this.hours.set(
          Number(key.slice(2)),
          new Map(list.map(([sku, revenue, quantity]) => [sku, { revenue: sums(revenue), quantity }])),
        );
      }
    }
  }
}
