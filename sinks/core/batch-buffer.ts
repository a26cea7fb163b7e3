/**
 * Accumulates decoded records per topic-partition into offset-range segments until the loop
 * flushes. A segment starts at the partition's position and ends at its last record; it is closed
 * early at every forced cut the sink asked for (ResumePlan.cuts), so a replay re-creates exactly
 * the ranges that may already be in the target. Any row type: sale events for the raw sinks,
 * aggregate records for the aggregate sink.
 */
import type { Batch, Segment, SinkRow } from './contract.js';
import type { DeadLetter } from '../../lib/contracts/dlq.js';

export interface PartitionCursor {
  /** Next offset to append (= first offset of the next segment). */
  next: number;
  /** Ascending offsets at which a segment must end. */
  cuts: number[];
}

export interface TakenBatch<Row = SinkRow> {
  batch: Batch<Row>;
  dead: DeadLetter[];
}

/** The key of a topic-partition in the buffer's maps and in the loop's `pinned` sets. */
export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class BatchBuffer<Row = SinkRow> {
  private sealed: Segment<Row>[] = [];
  private open = new Map<string, Segment<Row>>();
  private dead: DeadLetter[] = [];
  private rowCount = 0;
  private startedAt: number | undefined;

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

  /** Nothing buffered but open segments of `pinned` topic-partitions (keys from tpKey). */
  isEmptyExcept(pinned: ReadonlySet<string>): boolean {
    if (this.sealed.length > 0 || this.dead.some((d) => !pinned.has(tpKey(d.topic, d.partition))))
      return false;
    for (const k of this.open.keys()) if (!pinned.has(k)) return false;
    return true;
  }

  /**
   * Append the record at `offset` of topic-partition: a row, a dead letter that only moves the
   * position, or nothing at all (records the consumer filtered out — transaction markers, aborted
   * records — still move the position, so a caught-up sink stores the high watermark).
   */
  append(
    topic: string,
    partition: number,
    cursor: PartitionCursor,
    offset: number,
    row: Row | undefined,
    dead?: DeadLetter,
  ): void {
    const k = tpKey(topic, partition);
    // Cuts strictly before this offset close the open segment (or, if nothing is open, stand
    // for a range with no records at all, e.g. transaction markers).
    while (cursor.cuts.length > 0 && (cursor.cuts[0] ?? Infinity) < offset) {
      const cut = cursor.cuts.shift() as number;
      if (cut < cursor.next) continue;
      const seg = this.open.get(k) ?? this.newSegment(topic, partition, cursor.next);
      seg.last = cut;
      this.seal(k, seg);
      cursor.next = cut + 1;
    }
    let seg = this.open.get(k);
    if (!seg) {
      seg = this.newSegment(topic, partition, cursor.next);
      this.open.set(k, seg);
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
      this.seal(k, seg);
    }
  }

  /** Forget everything buffered for topic-partition (rebalance: it will be fetched again). */
  drop(topic: string, partition: number): void {
    const keep = (s: Segment<Row>) => s.topic !== topic || s.partition !== partition;
    for (const s of [...this.sealed, ...this.open.values()]) if (!keep(s)) this.rowCount -= s.rows.length;
    this.sealed = this.sealed.filter(keep);
    this.open.delete(tpKey(topic, partition));
    this.dead = this.dead.filter((d) => d.topic !== topic || d.partition !== partition);
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
   * Take the sealed segments and the open ones — except open segments of `pinned` topic-partitions
   * (a forced cut is still ahead: cutting them now would create a range the target has not seen,
   * with a dedup token that matches nothing). Segments come in topic, partition, offset order.
   * Returns an empty batch if nothing can be taken.
   */
  take(pinned: ReadonlySet<string> = new Set()): TakenBatch<Row> {
    const keep = new Map<string, Segment<Row>>();
    const taken: Segment<Row>[] = [...this.sealed];
    for (const [k, seg] of this.open) {
      if (pinned.has(k)) keep.set(k, seg);
      else taken.push(seg);
    }
    const segments = taken.sort(
      (a, b) =>
        (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0) ||
        a.partition - b.partition ||
        a.first - b.first,
    );
    const rows = segments.reduce((n, seg) => n + seg.rows.length, 0);
    const keptDead = this.dead.filter((d) => {
      const seg = keep.get(tpKey(d.topic, d.partition));
      return seg !== undefined && d.offset >= seg.first;
    });
    const out: TakenBatch<Row> = {
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
  takeableRows(pinned: ReadonlySet<string>): number {
    let n = 0;
    for (const s of this.sealed) n += s.rows.length;
    for (const [k, s] of this.open) if (!pinned.has(k)) n += s.rows.length;
    return n;
  }

  private newSegment(topic: string, partition: number, first: number): Segment<Row> {
    return { topic, partition, first, last: first - 1, rows: [] };
  }

  private seal(k: string, seg: Segment<Row>): void {
    this.open.delete(k);
    this.sealed.push(seg);
  }
}
