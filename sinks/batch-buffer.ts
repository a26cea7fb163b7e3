/**
 * Accumulates decoded records per partition into offset-range segments until the loop flushes.
 * A segment starts at the partition's position and ends at its last record; it is closed early
 * at every forced cut the sink asked for (ResumePlan.cuts), so a replay re-creates exactly the
 * ranges that may already be in the target.
 */
import type { Batch, Segment, SinkRow } from './contract.js';
import type { DeadLetter } from './dlq/headers.js';

export interface PartitionCursor {
  /** Next offset to append (= first offset of the next segment). */
  next: number;
  /** Ascending offsets at which a segment must end. */
  cuts: number[];
}

export interface TakenBatch {
  batch: Batch;
  dead: DeadLetter[];
}

export class BatchBuffer {
  private sealed: Segment[] = [];
  private open = new Map<number, Segment>();
  private dead: DeadLetter[] = [];
  private rowCount = 0;
  private startedAt: number | undefined;

  constructor(private readonly topic: string) {}

  get rows(): number {
    return this.rowCount;
  }

  /** Milliseconds since the first record of the pending batch was appended (0 when empty). */
  age(now = Date.now()): number {
    return this.startedAt === undefined ? 0 : now - this.startedAt;
  }

  isEmpty(): boolean {
    return this.sealed.length === 0 && this.open.size === 0;
  }

  /** Nothing buffered but open segments of `pinned` partitions. */
  isEmptyExcept(pinned: ReadonlySet<number>): boolean {
    if (this.sealed.length > 0 || this.dead.some((d) => !pinned.has(d.partition))) return false;
    for (const p of this.open.keys()) if (!pinned.has(p)) return false;
    return true;
  }

  /** Append the record at `offset`: a row, or a dead letter that only moves the position. */
  append(
    partition: number,
    cursor: PartitionCursor,
    offset: number,
    row: SinkRow | undefined,
    dead?: DeadLetter,
  ): void {
    // Cuts strictly before this offset close the open segment (or, if nothing is open, stand
    // for a range with no records at all, e.g. transaction markers).
    while (cursor.cuts.length > 0 && (cursor.cuts[0] ?? Infinity) < offset) {
      const cut = cursor.cuts.shift() as number;
      if (cut < cursor.next) continue;
      const seg = this.open.get(partition) ?? this.newSegment(partition, cursor.next);
      seg.last = cut;
      this.seal(partition, seg);
      cursor.next = cut + 1;
    }
    let seg = this.open.get(partition);
    if (!seg) {
      seg = this.newSegment(partition, cursor.next);
      this.open.set(partition, seg);
    }
    seg.last = offset;
    if (row) {
      seg.rows.push(row);
      this.rowCount++;
    }
    if (dead) this.dead.push(dead);
    this.startedAt ??= Date.now();
    cursor.next = offset + 1;
    if (cursor.cuts[0] === offset) {
      cursor.cuts.shift();
      this.seal(partition, seg);
    }
  }

  /** Forget everything buffered for `partition` (rebalance: it will be fetched again). */
  drop(partition: number): void {
    const keep = (s: Segment) => s.partition !== partition;
    for (const s of [...this.sealed, ...this.open.values()]) if (!keep(s)) this.rowCount -= s.rows.length;
    this.sealed = this.sealed.filter(keep);
    this.open.delete(partition);
    this.dead = this.dead.filter((d) => d.partition !== partition);
    if (this.isEmpty()) this.startedAt = undefined;
  }

  dropAll(): void {
    this.sealed = [];
    this.open.clear();
    this.dead = [];
    this.rowCount = 0;
    this.startedAt = undefined;
  }

  /**
   * Take the sealed segments and the open ones — except open segments of `pinned` partitions
   * (a forced cut is still ahead: cutting them now would create a range the target has not seen,
   * with a dedup token that matches nothing). Returns an empty batch if nothing can be taken.
   */
  take(pinned: ReadonlySet<number> = new Set()): TakenBatch {
    const keep = new Map<number, Segment>();
    const taken: Segment[] = [...this.sealed];
    for (const [p, seg] of this.open) {
      if (pinned.has(p)) keep.set(p, seg);
      else taken.push(seg);
    }
    const segments = taken.sort((a, b) => a.partition - b.partition || a.first - b.first);
    const rows = segments.reduce((n, seg) => n + seg.rows.length, 0);
    const keptDead = this.dead.filter(
      (d) => keep.has(d.partition) && d.offset >= (keep.get(d.partition)?.first ?? 0),
    );
    const out: TakenBatch = {
      batch: { segments, rowCount: rows },
      dead: this.dead.filter((d) => !keptDead.includes(d)),
    };
    this.sealed = [];
    this.open = keep;
    this.dead = keptDead;
    this.rowCount -= rows;
    if (this.isEmpty()) this.startedAt = undefined;
    return out;
  }

  /** Rows that `take(pinned)` would hand out now. */
  takeableRows(pinned: ReadonlySet<number>): number {
    let n = 0;
    for (const s of this.sealed) n += s.rows.length;
    for (const [p, s] of this.open) if (!pinned.has(p)) n += s.rows.length;
    return n;
  }

  private newSegment(partition: number, first: number): Segment {
    return { topic: this.topic, partition, first, last: first - 1, rows: [] };
  }

  private seal(partition: number, seg: Segment): void {
    this.open.delete(partition);
    this.sealed.push(seg);
  }
}
