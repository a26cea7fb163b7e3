/**
 * sinks/batch-buffer.ts for several topics and any row type: offset-range segments per
 * topic-partition, closed early at the target's forced cuts (ClickHouse replays). Kept separate
 * because the shared buffer is typed to one topic of sale events.
 */
import type { PartitionCursor } from '../batch-buffer.js';
import type { DeadLetter } from '../dlq/headers.js';
import type { AggRow, AggSegment, TakenAggBatch } from './contract.js';

export type { PartitionCursor };

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class AggBuffer {
  private sealed: AggSegment[] = [];
  private open = new Map<string, AggSegment>();
  private dead: DeadLetter[] = [];
  private rowCount = 0;
  private startedAt: number | undefined;

  get rows(): number {
    return this.rowCount;
  }

  age(now = Date.now()): number {
    return this.startedAt === undefined ? 0 : now - this.startedAt;
  }

  isEmpty(): boolean {
    return this.sealed.length === 0 && this.open.size === 0;
  }

  /**
   * Append the record at `offset` of topic-partition: a row, a dead letter, or nothing at all
   * (records the consumer filtered out — transaction markers, aborted records — still move the
   * position, so a caught-up sink stores the high watermark).
   */
  append(
    topic: string,
    partition: number,
    cursor: PartitionCursor,
    offset: number,
    row: AggRow | undefined,
    dead?: DeadLetter,
  ): void {
    const k = tpKey(topic, partition);
    while (cursor.cuts.length > 0 && (cursor.cuts[0] ?? Infinity) < offset) {
      const cut = cursor.cuts.shift() as number;
      if (cut < cursor.next) continue;
      const seg = this.open.get(k) ?? this.segment(topic, partition, cursor.next);
      seg.last = cut;
      this.seal(k, seg);
      cursor.next = cut + 1;
    }
    let seg = this.open.get(k);
    if (!seg) {
      seg = this.segment(topic, partition, cursor.next);
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

  drop(topic: string, partition: number): void {
    const keep = (s: AggSegment) => s.topic !== topic || s.partition !== partition;
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

  /** Nothing buffered but open segments of `pinned` topic-partitions. */
  isEmptyExcept(pinned: ReadonlySet<string>): boolean {
    if (this.sealed.length > 0 || this.dead.some((d) => !pinned.has(tpKey(d.topic, d.partition))))
      return false;
    for (const k of this.open.keys()) if (!pinned.has(k)) return false;
    return true;
  }

  /**
   * Take the sealed segments and the open ones — except open segments of `pinned` topic-partitions
   * (a forced cut is still ahead: cutting now would make a range the target has never seen, whose
   * dedup token matches nothing; the same rule as sinks/batch-buffer.ts).
   */
  take(pinned: ReadonlySet<string> = new Set()): TakenAggBatch {
    const keep = new Map<string, AggSegment>();
    const taken: AggSegment[] = [...this.sealed];
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
    const out: TakenAggBatch = {
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

  private segment(topic: string, partition: number, first: number): AggSegment {
    return { topic, partition, first, last: first - 1, rows: [] };
  }

  private seal(k: string, seg: AggSegment): void {
    this.open.delete(k);
    this.sealed.push(seg);
  }
}
