/**
 * Top SKUs, stage 1: runs in every partition task. It sums revenue and quantity per (hour, SKU)
 * over the partition's accepted events and, when the partition's watermark closes an hour, forwards
 * those sums — every SKU, not only the partition's top N, because a SKU ranked N+1 in every
 * partition can be first overall — to the internal partials topic, keyed by hour. With them it
 * broadcasts a progress report to every partials partition: "this input partition has closed every
 * hour up to `through`". Stage 2 (merge.ts) adds the sums and ranks an hour once every input
 * partition has closed it.
 *
 * Idleness: when the runner finds the partition idle (caught up, no records for idleTimeoutMs), the
 * sums of the hours still open are forwarded as they are and the report says `idle`; stage 2 then
 * leaves the partition out of its minimum. Later events of those hours are summed again from zero
 * and forwarded at the hour's close (stage 2 adds deltas). What was forwarded early is kept in the
 * operator's snapshot, so a restore does not forward it twice.
 *
 * State in the changelog: one key per (hour, SKU) → `[revenue, quantity]` not forwarded yet,
 * written when it changed and tombstoned when forwarded; the snapshot (`takeSnapshot`) holds the
 * report position, idleness and what was forwarded early. Revenue is a BigInt, a decimal string
 * in the changelog, the snapshot and the partials (lib/contracts/aggregates/sums.ts); numbers
 * written by an older version are read too.
 */
import { sumFromState, sumToJson } from '../../lib/contracts/aggregates/sums.js';
import { parseRow } from '../runtime/row.js';
import type { CompactEvent, Emit, ProcessorLogic, StateChange } from '../runtime/types.js';
import { HOUR, HourWindowLogic, floorTo, innerMap } from '../runtime/types.js';

export interface Sums {
  revenue: bigint;
  quantity: number;
}

/** `[sku, revenue, quantity]`: revenue a decimal string (a number from an older version). */
export type SumRow = [string, string | number, number];

/** Partial sums of one input partition for one hour. */
export interface PartialRecord {
  k: 'p';
  src: number;
  h: number;
  s: SumRow[];
}

/** Progress of one input partition: every hour starting at or before `through` is closed there. */
export interface ReportRecord {
  k: 'w';
  src: number;
  through: number | null;
  idle: boolean;
}

export type StageRecord = PartialRecord | ReportRecord;

interface Snapshot {
  r: number | null;
  idle: boolean;
  f: [number, SumRow[]][];
}

/** The last hour start closed by watermark `wm` (−∞ when none). */
export function closedThrough(wm: number, allowedLatenessMs: number): number {
  return Number.isFinite(wm) ? floorTo(wm - HOUR - allowedLatenessMs, HOUR) : -Infinity;
}

function addSums(into: Map<string, Sums>, sku: string, revenue: bigint, quantity: number): void {
  const s = into.get(sku);
  if (s) {
    s.revenue += revenue;
    s.quantity += quantity;
  } else into.set(sku, { revenue, quantity });
}

const rows = (m: Map<string, Sums>): SumRow[] =>
  [...m].map(([sku, s]) => [sku, sumToJson(s.revenue), s.quantity]);

export class TopSkusPartialLogic extends HourWindowLogic implements ProcessorLogic {
  /** hour → sku → sums not forwarded yet */
  private readonly hours = new Map<number, Map<string, Sums>>();
  /** hour → sku → sums forwarded early (idleness) while the hour is still open here */
  private readonly forwarded = new Map<number, Map<string, Sums>>();
  private reported = -Infinity;
  private isIdle = false;
  private mustReport = false;
  private snapshotDirty = false;
  private closed = 0;
  /** (hour, SKU) keys changed since the last takeChanges: hour → SKUs. */
  private readonly changed = new Map<number, Set<string>>();
  /** Legacy restore (events replayed) or derived sums: the snapshot's forwarded sums are in the hours, subtract them. */
  private replayed = false;
  /** Hourly in the same task: the sums are derived from its state on restore, not written twice. */
  private derived: { skuSums(): Iterable<[number, string, bigint, number]> } | undefined;

  constructor(
    private readonly topic: string,
    private readonly partitions: number,
    private readonly source: number,
    allowedLatenessMs: number,
  ) {
    super(allowedLatenessMs);
  }

  add(e: CompactEvent): void {
    const start = floorTo(e.t, HOUR);
    addSums(innerMap(this.hours, start), e.sku, BigInt(e.qty * e.price), e.qty);
    let skus = this.changed.get(start);
    if (!skus) this.changed.set(start, (skus = new Set()));
    skus.add(e.sku);
    if (this.isIdle) {
      this.isIdle = false;
      this.mustReport = true;
      this.snapshotDirty = true;
    }
  }

  flush(watermark: number, emit: Emit): void {
    const through = closedThrough(watermark, this.allowedLatenessMs);
    for (const start of [...this.hours.keys()].sort((a, b) => a - b)) {
      if (start > through) break;
      const hour = this.hours.get(start) as Map<string, Sums>;
      this.emitPartial(start, hour, emit);
      this.markAll(start, hour);
      this.hours.delete(start);
      if (this.forwarded.delete(start)) this.snapshotDirty = true;
      this.closed++;
    }
    for (const start of this.forwarded.keys()) {
      if (start > through) continue;
      this.forwarded.delete(start);
      this.snapshotDirty = true;
    }
    if (through > this.reported || this.mustReport) {
      if (through > this.reported) this.snapshotDirty = true;
      this.reported = Math.max(this.reported, through);
      this.report(emit);
    }
  }

  idle(emit: Emit): void {
    if (this.isIdle) return;
    for (const [start, hour] of this.hours) {
      if (hour.size === 0) continue;
      this.emitPartial(start, hour, emit);
      this.markAll(start, hour);
      const f = innerMap(this.forwarded, start);
      for (const [sku, s] of hour) addSums(f, sku, s.revenue, s.quantity);
      hour.clear();
    }
    this.isIdle = true;
    this.snapshotDirty = true;
    this.report(emit);
  }

  /** Every SKU of `hour` changed (it is about to be emptied: tombstones). */
  private markAll(start: number, hour: Map<string, Sums>): void {
    let skus = this.changed.get(start);
    if (!skus) this.changed.set(start, (skus = new Set()));
    for (const sku of hour.keys()) skus.add(sku);
  }

  /**
   * In a topology with hourly, this operator's sums per (hour, SKU) equal hourly's summed over
   * stores (same hour windows, same lateness, same accepted events) minus what was forwarded early
   * (the snapshot): they are not written to the changelog but rebuilt from hourly's keys on restore,
   * which halves the changelog records per event.
   */
  deriveFrom(source: { skuSums(): Iterable<[number, string, bigint, number]> }): void {
    this.derived = source;
  }

  takeChanges(change: StateChange): void {
    if (this.derived) {
      this.changed.clear();
      return;
    }
    for (const [start, skus] of this.changed) {
      const hour = this.hours.get(start);
      for (const sku of skus) {
        const s = hour?.get(sku);
        change(`${start}\u0000${sku}`, s ? JSON.stringify([sumToJson(s.revenue), s.quantity]) : null);
      }
    }
    this.changed.clear();
  }

  restoreEntry(key: string, value: Buffer | string): void {
    if (this.derived) return;
    const [start, sku] = key.split('\u0000');
    const [revenue, quantity] = parseRow(value) as [string | number, number];
    const exact = sumFromState(revenue, `top-skus state ${JSON.stringify(key)}`);
    addSums(innerMap(this.hours, Number(start)), sku as string, exact, quantity);
  }

  /** A legacy restore replays events: the snapshot's forwarded sums must then be subtracted. */
  replayedEvents(): void {
    this.replayed = true;
  }

  private emitPartial(start: number, hour: Map<string, Sums>, emit: Emit): void {
    if (hour.size === 0) return;
    // In SKU order: the same record whether the sums were built by events or by a restore.
    const s = rows(hour).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const value: PartialRecord = { k: 'p', src: this.source, h: start, s };
    emit({ topic: this.topic, key: new Date(start).toISOString(), value: JSON.stringify(value) });
  }

  private report(emit: Emit): void {
    this.mustReport = false;
    const value: ReportRecord = {
      k: 'w',
      src: this.source,
      through: Number.isFinite(this.reported) ? this.reported : null,
      idle: this.isIdle,
    };
    const json = JSON.stringify(value);
    for (let partition = 0; partition < this.partitions; partition++)
      emit({ topic: this.topic, key: `w/${this.source}`, value: json, partition });
  }

  takeSnapshot(): string | undefined {
    if (!this.snapshotDirty) return undefined;
    this.snapshotDirty = false;
    const value: Snapshot = {
      r: Number.isFinite(this.reported) ? this.reported : null,
      idle: this.isIdle,
      f: [...this.forwarded].map(([h, m]) => [h, rows(m)]),
    };
    return JSON.stringify(value);
  }

  restoredAt(watermark: number): void {
    this.reported = closedThrough(watermark, this.allowedLatenessMs);
    if (this.derived && !this.replayed) {
      for (const [start, sku, revenue, quantity] of this.derived.skuSums())
        addSums(innerMap(this.hours, start), sku, revenue, quantity);
    }
    if (this.derived) this.replayed = true;
  }

  restoreSnapshot(value: string): void {
    const s = JSON.parse(value) as Snapshot;
    this.reported = Math.max(this.reported, s.r ?? -Infinity);
    this.isIdle = s.idle;
    for (const [h, list] of s.f) {
      if (h <= this.reported) continue;
      const f = new Map<string, Sums>();
      this.forwarded.set(h, f);
      const hour = this.hours.get(h);
      for (const [sku, rev, quantity] of list) {
        const revenue = sumFromState(rev, `top-skus snapshot hour ${h}`);
        addSums(f, sku, revenue, quantity);
        if (!this.replayed) continue;
        const cur = hour?.get(sku);
        if (!hour || !cur) continue;
        cur.revenue -= revenue;
        cur.quantity -= quantity;
        if (cur.revenue === 0n && cur.quantity === 0) hour.delete(sku);
      }
    }
  }

  openWindows(): number {
    return this.hours.size;
  }

  stateKeys(): number {
    let n = 0;
    for (const h of this.hours.values()) n += h.size;
    return n;
  }

  takeClosedCount(): number {
    const n = this.closed;
    this.closed = 0;
    return n;
  }
}
