/**
 * Never retry the non-transient (docs/sinks.md#when-a-write-fails): a batch the target refuses
 * (sinks/core/refusal.ts) is split in two and each half written on its own, recursively, until
 * the refused records stand alone; each of those is dead-lettered with the server's reason and its
 * offset range written without it, so the partition moves on. A batch refused for its size (a
 * limit, memory, a timeout retried `refusedRetryAttempts` times) passes in smaller parts the same way.
 *
 * Halves are cut at segment boundaries first: a whole segment keeps its offset range, hence its
 * ClickHouse dedup token, so re-sending a segment that was already inserted stores nothing twice.
 * Only a batch of one segment is cut inside it, at an offset: two new ranges, nothing of which was
 * stored (the segment's insert failed) — except a ClickHouse segment inserted in parts, whose earlier
 * parts may be stored: that sink looks them up before inserting the halves (sinks/clickhouse/raw/unsure.ts). Halves are written in order, so stored positions only move
 * forward, and a crash midway replays like any crash (Postgres: positions committed with the rows;
 * ClickHouse: the written ranges come back as forced cuts, sinks/clickhouse/resume.ts).
 *
 * One bad record in n costs about 2·log2(n) extra writes. A single row refused as `transient` is
 * not dead-lettered: it is retried without end (the server's trouble, not the record's; alert
 * RetailSinkStuck).
 */
import { tpKey } from './batch-buffer.js';
import type { Batch, Segment, WriteResult } from './contract.js';
import { isRefusal } from './refusal.js';
import type { TargetRefusal } from './refusal.js';

export interface SplitDeps<Row> {
  /**
   * One write with transient failures retried; `bounded`: a transient refusal is rethrown after
   * the retry limit (the batch can still be split) instead of retried without end.
   */
  write(batch: Batch<Row>, bounded: boolean): Promise<WriteResult>;
  offsetOf(row: Row): number;
  /**
   * Dead-letter a refused row and wait for the DLQ's ack. Absent: the sink's rows cannot be
   * dead-lettered, so a refusal is rethrown (the loop stops, as for a fatal error).
   */
  refuse?: ((topic: string, row: Row, err: TargetRefusal) => Promise<void>) | undefined;
  onSplit?(rows: number, err: TargetRefusal): void;
}

const withRows = <Row>(segments: Segment<Row>[]): Batch<Row> => ({
  segments,
  rowCount: segments.reduce((n, s) => n + s.rows.length, 0),
});

/**
 * Two halves of a batch of at least two rows: at the segment boundary that balances the rows best
 * (a whole segment on each side), or, for a single segment, after its middle row.
 */
export function splitBatch<Row>(batch: Batch<Row>, offsetOf: (row: Row) => number): [Batch<Row>, Batch<Row>] {
  const segs = batch.segments;
  if (segs.length > 1) {
    let best = 1;
    let bestGap = Infinity;
    let left = 0;
    for (let k = 1; k < segs.length; k++) {
      left += (segs[k - 1] as Segment<Row>).rows.length;
      const gap = Math.abs(batch.rowCount - 2 * left);
      if (gap < bestGap) [best, bestGap] = [k, gap];
    }
    return [withRows(segs.slice(0, best)), withRows(segs.slice(best))];
  }
  const seg = segs[0];
  if (!seg || seg.rows.length < 2)
    throw new Error('splitBatch: a batch of fewer than two rows cannot be split');
  const mid = Math.floor(seg.rows.length / 2);
  const cut = offsetOf(seg.rows[mid - 1] as Row);
  return [
    withRows([{ ...seg, last: cut, rows: seg.rows.slice(0, mid) }]),
    withRows([{ ...seg, first: cut + 1, rows: seg.rows.slice(mid) }]),
  ];
}

/** Write `batch`; refused parts are split off and their refused records dead-lettered (see above). */
export async function writeSplitting<Row>(batch: Batch<Row>, d: SplitDeps<Row>): Promise<WriteResult> {
  if (!d.refuse) return d.write(batch, false);
  try {
    return await d.write(batch, batch.rowCount > 1);
  } catch (err) {
    if (!isRefusal(err) || batch.rowCount === 0) throw err;
    if (batch.rowCount === 1) {
      if (err.kind !== 'refused') throw err;
      const seg = batch.segments.find((s) => s.rows.length === 1) as Segment<Row>;
      await d.refuse(seg.topic, seg.rows[0] as Row, err);
      // Its offset range still has to be written (the position moves past the refused record).
      return d.write(withRows(batch.segments.map((s) => ({ ...s, rows: [] }))), false);
    }
    d.onSplit?.(batch.rowCount, err);
    const [a, b] = splitBatch(batch, d.offsetOf);
    const ra = await writeSplitting(a, d);
    const fenced = new Set(ra.fenced.map((f) => tpKey(f.topic, f.partition)));
    const rest = withRows(b.segments.filter((s) => !fenced.has(tpKey(s.topic, s.partition))));
    const rb = rest.segments.length > 0 ? await writeSplitting(rest, d) : { fenced: [] };
    return { fenced: [...ra.fenced, ...rb.fenced], dropped: (ra.dropped ?? 0) + (rb.dropped ?? 0) };
  }
}
