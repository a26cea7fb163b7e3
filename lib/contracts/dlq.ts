/**
 * The dead-letter record format on `retail.sales.dlq` (docs/dlq.md): the value and key are the
 * original bytes, untouched; these headers say why and where from. Original headers are kept.
 * Sinks and processors write dead letters through `deadLetterHeaders`; `retail-etl dlq` reads them.
 */
import type { IHeaders } from '../kafka/index.js';

/** Bounded set of reasons: the `reason` label of the DLQ counters and the `dlq.reason` header. */
export const DLQ_REASONS = [
  'bad_framing',
  'unknown_schema',
  'bad_avro',
  'invalid_event',
  'empty_value',
  /** Same event_id as an event already stored, different content: the first write wins (docs/sinks.md). */
  'conflicting_duplicate',
  /**
   * The target refused the record itself (a constraint, a value its column type rejects, a limit),
   * found by splitting the batch (docs/sinks.md#when-a-write-fails); the detail names the sink and
   * the server's code (Postgres SQLSTATE, ClickHouse exception name).
   */
  'refused_by_target',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

export const DLQ_HEADERS = {
  reason: 'dlq.reason',
  detail: 'dlq.detail',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  timestamp: 'dlq.source.timestamp',
  sink: 'dlq.sink',
  failedAt: 'dlq.failed_at',
  /** Set by `retail-etl dlq replay` on the re-sent record; the sink copies it onward. */
  replayCount: 'retail.replay_count',
} as const;

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  reason: DlqReason;
  detail: string;
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return undefined;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

/** Headers of the dead letter: the original ones (minus earlier dlq.*) plus ours. */
export function deadLetterHeaders(d: DeadLetter, sink: string, now = Date.now()): IHeaders {
  const kept: IHeaders = {};
  for (const [k, v] of Object.entries(d.headers)) if (!k.startsWith('dlq.') && v !== undefined) kept[k] = v;
  return {
    ...kept,
    [DLQ_HEADERS.reason]: d.reason,
    // Headers are small on purpose: a long Avro error is cut, the original bytes are all there.
    [DLQ_HEADERS.detail]: d.detail.slice(0, 1000),
    [DLQ_HEADERS.topic]: d.topic,
    [DLQ_HEADERS.partition]: String(d.partition),
    [DLQ_HEADERS.offset]: String(d.offset),
    [DLQ_HEADERS.timestamp]: String(d.timestamp),
    [DLQ_HEADERS.sink]: sink,
    [DLQ_HEADERS.failedAt]: String(now),
  };
}
