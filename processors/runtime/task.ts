/**
 * The state of one task — one input partition — and what a batch does to it. No Kafka here: the
 * runner feeds decoded records in and writes what comes out (aggregate updates, late records,
 * changelog entries) in a transaction. A task runs every operator of the topology (hourly, the
 * first stage of top SKUs, rolling) over one decoding and one dedup set.
 *
 * The state is event-sourced: the changelog holds the accepted events that are still inside some
 * open window (in segments of up to `segmentMaxEvents`, each event with the operators that
 * accepted it), one meta record per input partition (next offset, max event time) and operator
 * snapshots (`o/<operator>`, state that replay cannot rebuild). Restoring replays the live
 * segments into the operators and rebuilds the dedup set; the next offset comes from the same
 * transactions as the state, so state and position can never disagree. A segment is tombstoned in
 * the transaction whose watermark passes the last window of all its events, which bounds both
 * state and dedup.
 */
import type { CompactEvent, Emit, OutRecord, ProcessorLogic } from './types.js';

export interface TaskOptions {
  partitions: number[];
  outOfOrderMs: number;
  segmentMaxEvents: number;
}

export interface Operator {
  name: string;
  logic: ProcessorLogic;
}

export interface TaskRecord {
  offset: number;
  event: CompactEvent;
  /**
   * When the record was accepted (its Kafka timestamp). The watermark advances by min(event time,
   * accepted at): an event from a client whose clock runs ahead still counts in its own window but
   * cannot close windows early and make other clients' on-time events late.
   */
  acceptedAt?: number;
}

export interface ChangelogEntry {
  key: string;
  value: string | null;
}

export interface LateRecord {
  offset: number;
  operator: string;
  watermark: number;
  closesAt: number;
}

export interface BatchOutcome {
  outputs: OutRecord[];
  /** Records late for an operator (one entry per operator that found the record late). */
  late: LateRecord[];
  changelog: ChangelogEntry[];
  /** Records accepted by at least one operator. */
  accepted: number;
  /** Records accepted, per operator. */
  acceptedBy: Map<string, number>;
  duplicates: number;
  skipped: number;
  watermark: number;
  /** Windows closed per operator. */
  windowsClosed: Map<string, number>;
}

interface Meta {
  next: number;
  max: number | null;
}

/** id, time, store, sku, qty, price, basket, mask of the operators that accepted the event */
type SegmentRow = [string, number, string, string, number, number, string, number?];

const metaKey = (p: number) => `m/${p}`;
const snapshotKey = (operator: string) => `o/${operator}`;

export class TaskState {
  private readonly maxEventTime = new Map<number, number>();
  /** Next input offset per partition, as of the last processed (or restored) batch. */
  readonly next = new Map<number, number>();
  private readonly dedup = new Map<string, number>();
  private readonly dedupByExpiry = new Map<number, string[]>();
  private readonly segments = new Map<string, number>();
  readonly operators: Operator[];
  private readonly allMask: number;

  constructor(
    operators: Operator[] | ProcessorLogic,
    private readonly options: TaskOptions,
  ) {
    this.operators = Array.isArray(operators) ? operators : [{ name: 'default', logic: operators }];
    if (this.operators.length > 30) throw new Error('at most 30 operators per task');
    this.allMask = (1 << this.operators.length) - 1;
  }

  /** The first operator's logic (single-operator tasks and tests). */
  get logic(): ProcessorLogic {
    return (this.operators[0] as Operator).logic;
  }

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

  private emptyOutcome(): BatchOutcome {
    return {
      outputs: [],
      late: [],
      changelog: [],
      accepted: 0,
      acceptedBy: new Map(),
      duplicates: 0,
      skipped: 0,
      watermark: -Infinity,
      windowsClosed: new Map(),
    };
  }

  /**
   * Apply one batch of one partition. `lastOffset` is the batch's last offset (records after
   * `records`' last may have been dead letters). The state is changed in place: if the transaction
   * that carries the outcome fails, the runner must drop this state and restore.
   */
  processBatch(partition: number, records: TaskRecord[], lastOffset: number): BatchOutcome {
    const out = this.emptyOutcome();
    const from = this.next.get(partition) ?? -1;
    const accepted: SegmentRow[] = [];
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
      let mask = 0;
      let exp = -Infinity;
      for (let i = 0; i < this.operators.length; i++) {
        const op = this.operators[i] as Operator;
        const closesAt = op.logic.closesAt(e.t);
        if (closesAt <= wm) {
          out.late.push({ offset: r.offset, operator: op.name, watermark: wm, closesAt });
          continue;
        }
        mask |= 1 << i;
        out.acceptedBy.set(op.name, (out.acceptedBy.get(op.name) ?? 0) + 1);
        exp = Math.max(exp, op.logic.expiresAt(e.t));
        op.logic.add(e, false);
      }
      if (mask !== 0) {
        this.remember(e.id, exp);
        const row: SegmentRow = [e.id, e.t, e.store, e.sku, e.qty, e.price, e.basket];
        if (mask !== this.allMask) row.push(mask);
        accepted.push(row);
        out.accepted++;
      }
      const clock = r.acceptedAt !== undefined && r.acceptedAt > 0 ? Math.min(e.t, r.acceptedAt) : e.t;
      const max = this.maxEventTime.get(partition);
      if (max === undefined || clock > max) this.maxEventTime.set(partition, clock);
    }
    const wm = this.watermark();
    out.watermark = wm;
    const emit: Emit = (rec) => out.outputs.push(rec);
    for (const op of this.operators) {
      op.logic.flush(wm, emit);
      out.windowsClosed.set(op.name, op.logic.takeClosedCount());
    }
    this.expire(wm, out.changelog);
    this.appendSegments(partition, firstOffset ?? lastOffset, accepted, out.changelog);
    this.takeSnapshots(out.changelog);
    const next = Math.max(lastOffset + 1, from);
    this.next.set(partition, next);
    const meta: Meta = { next, max: this.maxEventTime.get(partition) ?? null };
    out.changelog.push({ key: metaKey(partition), value: JSON.stringify(meta) });
    return out;
  }

  /**
   * The partition is idle: operators forward what they hold back (top SKUs' partial sums), and
   * their snapshots record it. Returns undefined when no operator had anything to do.
   */
  idle(): BatchOutcome | undefined {
    const out = this.emptyOutcome();
    out.watermark = this.watermark();
    const emit: Emit = (rec) => out.outputs.push(rec);
    for (const op of this.operators) op.logic.idle?.(emit);
    this.takeSnapshots(out.changelog);
    return out.outputs.length === 0 && out.changelog.length === 0 ? undefined : out;
  }

  private takeSnapshots(changelog: ChangelogEntry[]): void {
    for (const op of this.operators) {
      const s = op.logic.takeSnapshot?.();
      if (s !== undefined) changelog.push({ key: snapshotKey(op.name), value: s });
    }
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
    rows: SegmentRow[],
    changelog: ChangelogEntry[],
  ): void {
    const size = this.options.segmentMaxEvents;
    for (let i = 0, n = 0; i < rows.length; i += size, n++) {
      const chunk = rows.slice(i, i + size);
      let exp = -Infinity;
      for (const row of chunk) exp = Math.max(exp, this.expiryOf(row[1], row[7] ?? this.allMask));
      const key = `s/${partition}/${firstOffset}/${n}`;
      this.segments.set(key, exp);
      changelog.push({ key, value: JSON.stringify({ exp, ev: chunk }) });
    }
  }

  private expiryOf(t: number, mask: number): number {
    let exp = -Infinity;
    for (let i = 0; i < this.operators.length; i++)
      if (mask & (1 << i)) exp = Math.max(exp, (this.operators[i] as Operator).logic.expiresAt(t));
    return exp;
  }

  /**
   * Rebuild from the changelog's live entries (latest value per key, tombstones removed).
   * Returns the number of events replayed.
   */
  restore(entries: Map<string, string>): number {
    const segments: [string, { exp: number; ev: SegmentRow[] }][] = [];
    const snapshots = new Map<string, string>();
    for (const [key, value] of entries) {
      if (key.startsWith('m/')) {
        const p = Number(key.slice(2));
        const meta = JSON.parse(value) as Meta;
        this.next.set(p, meta.next);
        if (meta.max !== null) this.maxEventTime.set(p, meta.max);
      } else if (key.startsWith('s/')) {
        segments.push([key, JSON.parse(value) as { exp: number; ev: SegmentRow[] }]);
      } else if (key.startsWith('o/')) {
        snapshots.set(key.slice(2), value);
      }
    }
    const wm = this.watermark();
    for (const op of this.operators) op.logic.restoredAt(wm);
    let replayed = 0;
    for (const [key, seg] of segments) {
      this.segments.set(key, seg.exp);
      for (const [id, t, store, sku, qty, price, basket, mask = this.allMask] of seg.ev) {
        const exp = this.expiryOf(t, mask);
        if (exp <= wm) continue;
        this.remember(id, exp);
        const e: CompactEvent = { id, t, store, sku, qty, price, basket };
        for (let i = 0; i < this.operators.length; i++) {
          const op = this.operators[i] as Operator;
          if (mask & (1 << i) && op.logic.expiresAt(t) > wm) op.logic.add(e, true);
        }
        replayed++;
      }
    }
    for (const op of this.operators) {
      const s = snapshots.get(op.name);
      if (s !== undefined) op.logic.restoreSnapshot?.(s);
    }
    return replayed;
  }
}
