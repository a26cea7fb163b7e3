/**
 * The state of one task — one input partition, or every partition for a global processor — and
 * what a batch does to it. No Kafka here: the runner feeds decoded records in and writes what
 * comes out (aggregate updates, late records, changelog entries) in one transaction.
 *
 * The state is event-sourced: the changelog holds the accepted events that are still inside some
 * open window (in segments of up to `segmentMaxEvents`, one or more per batch) and one meta record
 * per input partition (next offset, max event time). Restoring replays the live segments into the
 * processor logic and rebuilds the dedup set; the next offset comes from the same transactions as
 * the state, so state and position can never disagree. A segment is tombstoned in the transaction
 * whose watermark passes the last window of all its events, which bounds both state and dedup.
 */
import type { CompactEvent, Emit, OutRecord, ProcessorLogic } from './types.js';

export interface TaskOptions {
  partitions: number[];
  outOfOrderMs: number;
  segmentMaxEvents: number;
}

export interface TaskRecord {
  offset: number;
  event: CompactEvent;
}

export interface ChangelogEntry {
  key: string;
  value: string | null;
}

export interface BatchOutcome {
  outputs: OutRecord[];
  /** Offsets (of the batch's records) that were late, with the watermark that made them late. */
  late: { offset: number; watermark: number; closesAt: number }[];
  changelog: ChangelogEntry[];
  accepted: number;
  duplicates: number;
  skipped: number;
  watermark: number;
  windowsClosed: number;
}

interface Meta {
  next: number;
  max: number | null;
}

type SegmentRow = [string, number, string, string, number, number, string];

const metaKey = (p: number) => `m/${p}`;

export class TaskState {
  private readonly maxEventTime = new Map<number, number>();
  /** Next input offset per partition, as of the last committed (or restored) batch. */
  readonly next = new Map<number, number>();
  private readonly dedup = new Map<string, number>();
  private readonly dedupByExpiry = new Map<number, string[]>();
  private readonly segments = new Map<string, number>();

  constructor(
    readonly logic: ProcessorLogic,
    private readonly options: TaskOptions,
  ) {}

  /** Minimum over the task's partitions of (max event time − out-of-order bound); −∞ until each has data. */
  watermark(): number {
    let wm = Infinity;
    for (const p of this.options.partitions) {
      const max = this.maxEventTime.get(p);
      if (max === undefined) return -Infinity;
      wm = Math.min(wm, max - this.options.outOfOrderMs);
    }
    return wm === Infinity ? -Infinity : wm;
  }

  partitionWatermark(p: number): number | undefined {
    const max = this.maxEventTime.get(p);
    return max === undefined ? undefined : max - this.options.outOfOrderMs;
  }

  dedupSize(): number {
    return this.dedup.size;
  }

  /**
   * Apply one batch of one partition. `lastOffset` is the batch's last offset (records after
   * `records`' last may have been dead letters). The state is changed in place: if the transaction
   * that carries the outcome fails, the runner must drop this state and restore.
   */
  processBatch(partition: number, records: TaskRecord[], lastOffset: number): BatchOutcome {
    const out: BatchOutcome = {
      outputs: [],
      late: [],
      changelog: [],
      accepted: 0,
      duplicates: 0,
      skipped: 0,
      watermark: -Infinity,
      windowsClosed: 0,
    };
    const from = this.next.get(partition) ?? -1;
    const acceptedEvents: CompactEvent[] = [];
    let firstOffset: number | undefined;
    for (const r of records) {
      if (r.offset < from) {
        out.skipped++;
        continue;
      }
      firstOffset ??= r.offset;
      const e = r.event;
      if (this.dedup.has(e.id)) {
        out.duplicates++;
        continue;
      }
      const wm = this.watermark();
      const closesAt = this.logic.closesAt(e.t);
      if (closesAt <= wm) {
        out.late.push({ offset: r.offset, watermark: wm, closesAt });
      } else {
        const exp = this.logic.expiresAt(e.t);
        this.remember(e.id, exp);
        this.logic.add(e, false);
        acceptedEvents.push(e);
        out.accepted++;
      }
      const max = this.maxEventTime.get(partition);
      if (max === undefined || e.t > max) this.maxEventTime.set(partition, e.t);
    }
    const wm = this.watermark();
    out.watermark = wm;
    const emit: Emit = (rec) => out.outputs.push(rec);
    this.logic.flush(wm, emit);
    out.windowsClosed = this.logic.takeClosedCount();
    this.expire(wm, out.changelog);
    this.appendSegments(partition, firstOffset ?? lastOffset, acceptedEvents, out.changelog);
    const next = Math.max(lastOffset + 1, from);
    this.next.set(partition, next);
    const meta: Meta = { next, max: this.maxEventTime.get(partition) ?? null };
    out.changelog.push({ key: metaKey(partition), value: JSON.stringify(meta) });
    return out;
  }

  private remember(id: string, exp: number): void {
    this.dedup.set(id, exp);
    let ids = this.dedupByExpiry.get(exp);
    if (!ids) {
      ids = [];
      this.dedupByExpiry.set(exp, ids);
    }
    ids.push(id);
  }

  private expire(wm: number, changelog: ChangelogEntry[]): void {
    for (const [exp, ids] of this.dedupByExpiry) {
      if (exp > wm) continue;
      for (const id of ids) this.dedup.delete(id);
      this.dedupByExpiry.delete(exp);
    }
    for (const [key, exp] of this.segments) {
      if (exp > wm) continue;
      this.segments.delete(key);
      changelog.push({ key, value: null });
    }
  }

  private appendSegments(
    partition: number,
    firstOffset: number,
    events: CompactEvent[],
    changelog: ChangelogEntry[],
  ): void {
    const size = this.options.segmentMaxEvents;
    for (let i = 0, n = 0; i < events.length; i += size, n++) {
      const chunk = events.slice(i, i + size);
      let exp = -Infinity;
      const rows: SegmentRow[] = chunk.map((e) => {
        exp = Math.max(exp, this.logic.expiresAt(e.t));
        return [e.id, e.t, e.store, e.sku, e.qty, e.price, e.basket];
      });
      const key = `s/${partition}/${firstOffset}/${n}`;
      this.segments.set(key, exp);
      changelog.push({ key, value: JSON.stringify({ exp, ev: rows }) });
    }
  }

  /**
   * Rebuild from the changelog's live entries (latest value per key, tombstones removed).
   * Returns the number of events replayed.
   */
  restore(entries: Map<string, string>): number {
    const segments: [string, { exp: number; ev: SegmentRow[] }][] = [];
    for (const [key, value] of entries) {
      if (key.startsWith('m/')) {
        const p = Number(key.slice(2));
        const meta = JSON.parse(value) as Meta;
        this.next.set(p, meta.next);
        if (meta.max !== null) this.maxEventTime.set(p, meta.max);
      } else if (key.startsWith('s/')) {
        segments.push([key, JSON.parse(value) as { exp: number; ev: SegmentRow[] }]);
      }
    }
    const wm = this.watermark();
    this.logic.restoredAt(wm);
    let replayed = 0;
    for (const [key, seg] of segments) {
      this.segments.set(key, seg.exp);
      for (const [id, t, store, sku, qty, price, basket] of seg.ev) {
        const exp = this.logic.expiresAt(t);
        if (exp <= wm) continue;
        this.remember(id, exp);
        this.logic.add({ id, t, store, sku, qty, price, basket }, true);
        replayed++;
      }
    }
    return replayed;
  }
}
