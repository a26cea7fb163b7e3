/**
 * Where a ClickHouse raw sink cannot trust dedup tokens alone (issue 11). A segment spanning more
 * than 100 days is inserted in parts (sinks/clickhouse/insert.ts); if a later part fails, the
 * earlier ones are stored. Retrying the same segment is safe (same rows, same parts, same tokens),
 * but a refusal splits the batch into new offset ranges with new tokens (sinks/core/split.ts), and
 * those would store the earlier parts' events again. So after a failed write, and over the replay
 * window after a resume, the sink remembers per topic-partition the offsets up to which rows may
 * already be stored, and looks them up (sinks/clickhouse/raw/stored-offsets.ts) before inserting,
 * until a write passes that offset. Normal writes never pay for the look-up.
 */
import { createHash } from 'node:crypto';
import { tpKey } from '../../core/batch-buffer.js';
import type { Segment } from '../../core/contract.js';
import { dedupToken } from '../insert.js';

export class UnsureRanges {
  /** tpKey → the last offset that may already be stored by an unfinished write. */
  private readonly upTo = new Map<string, number>();

  /** Rows up to `last` of this partition may be stored by a write that did not finish. */
  note(topic: string, partition: number, last: number): void {
    const k = tpKey(topic, partition);
    this.upTo.set(k, Math.max(this.upTo.get(k) ?? -1, last));
  }

  /** A segment starting at `first` may hold stored rows. */
  covers(topic: string, partition: number, first: number): boolean {
    const upTo = this.upTo.get(tpKey(topic, partition));
    return upTo !== undefined && first <= upTo;
  }

  /** A write up to `last` finished: nothing unsure is left at or below it. */
  passed(topic: string, partition: number, last: number): void {
    const k = tpKey(topic, partition);
    const upTo = this.upTo.get(k);
    if (upTo !== undefined && upTo <= last) this.upTo.delete(k);
  }
}

/**
 * The dedup token of the part of a segment not stored yet: the segment's token plus a digest of
 * the offsets inserted, so the same remainder sent again is dropped by ClickHouse, and a different
 * remainder of the same range is never taken for it.
 */
export function restToken(
  seg: Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>,
  rows: { offset: number }[],
): string {
  const digest = createHash('sha256')
    .update(rows.map((r) => r.offset).join(','))
    .digest('hex')
    .slice(0, 16);
  return `${dedupToken(seg)}/rest-${digest}`;
}
