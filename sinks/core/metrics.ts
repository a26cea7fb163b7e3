/**
 * The sinks' Prometheus metrics: prefix `retail_sink_`, label `sink` (docs/sinks.md lists them).
 * Consumer lag comes from lib/kafka/lag.ts with the same prefix.
 */
import type { Registry } from 'prom-client';
import { metricFactory } from '../../lib/metric-factory.js';
import { labelProduct, zeroSeries } from '../../lib/metric-zero.js';
import { DLQ_REASONS } from '../../lib/contracts/dlq.js';

export const SINK_METRIC_PREFIX = 'retail_sink_';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300];

export function createSinkMetrics(registry: Registry) {
  const m = metricFactory(registry, SINK_METRIC_PREFIX);
  return {
    rowsWritten: m.counter('rows_written_total', 'Rows durably written (committed) into the target', [
      'sink',
    ]),
    batchRows: m.histogram(
      'batch_rows',
      'Rows per written batch',
      ['sink'],
      [10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000],
    ),
    flushSeconds: m.histogram(
      'flush_duration_seconds',
      'Time to write and commit one batch (including retries)',
      ['sink'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    eventToRow: m.histogram(
      'event_to_row_seconds',
      'From the event time (from="event") or the Kafka record timestamp (from="ingest") to the commit of its row',
      ['sink', 'from'],
      LATENCY_BUCKETS,
    ),
    dlq: m.counter('dlq_records_total', 'Records sent to the dead-letter topic, by reason', [
      'sink',
      'reason',
    ]),
    skipped: m.counter(
      'records_skipped_total',
      'Records fetched again below the stored position (already written), or (ClickHouse) whose rows an earlier write of the same records stored, and skipped',
      ['sink'],
    ),
    writeRetries: m.counter(
      'write_retries_total',
      'Retriable write failures (target down, connection lost) that were retried',
      ['sink'],
    ),
    batchSplits: m.counter(
      'batch_splits_total',
      'Batches split in two because the target refused them (a refused record or a batch too large), by the server code',
      ['sink', 'server_code'],
    ),
    stuck: m.gauge(
      'stuck',
      '1 while a write (or resume) has been retried for longer than stuckAfterMs without success, else 0',
      ['sink'],
    ),
    fenced: m.counter(
      'fenced_total',
      'Partition segments rejected because another instance had moved the stored position',
      ['sink'],
    ),
    backpressureSeconds: m.counter(
      'backpressure_seconds_total',
      'Time fetching was paused waiting for a slow flush',
      ['sink'],
    ),
    bufferedRows: m.gauge('buffered_rows', 'Rows decoded and waiting for the next flush', ['sink']),
    partitionsCreated: m.counter('partitions_created_total', 'Daily partitions created by the sink', [
      'sink',
    ]),
    partitionsDropped: m.counter(
      'partitions_dropped_total',
      'Daily partitions removed by retention (mode="drop" or "detach")',
      ['sink', 'mode'],
    ),
    duplicatesDropped: m.counter(
      'duplicates_dropped_total',
      'Records not stored because their event_id is already stored with the same content (an exact re-send)',
      ['sink'],
    ),
    conflictingDuplicates: m.counter(
      'conflicting_duplicates_total',
      'Records whose event_id is already stored with different content: dead-lettered (reason conflicting_duplicate), the first write kept',
      ['sink'],
    ),
    guardRows: m.counter(
      'guard_rows_total',
      'Rows whose event day has no partition (older than retention or too far ahead): written to the guard (DEFAULT) partition',
      ['sink'],
    ),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

/**
 * Every series of one sink at 0 from its start (lib/metric-zero.ts): the DLQ, error, retention
 * and duplicate panels then show 0, not "No data", until something happens. Called once, before
 * the loop writes anything.
 */
export function zeroSinkMetrics(m: SinkMetrics, sink: string): void {
  const one = [{ sink }];
  for (const counter of [
    m.rowsWritten,
    m.skipped,
    m.writeRetries,
    m.fenced,
    m.backpressureSeconds,
    m.partitionsCreated,
    m.duplicatesDropped,
    m.conflictingDuplicates,
    m.guardRows,
  ])
    zeroSeries(counter, one);
  zeroSeries(m.stuck, one);
  zeroSeries(m.bufferedRows, one);
  zeroSeries(m.dlq, labelProduct({ sink: [sink], reason: DLQ_REASONS }));
  zeroSeries(m.partitionsDropped, labelProduct({ sink: [sink], mode: ['drop', 'detach'] }));
  zeroSeries(m.batchRows, one);
  zeroSeries(m.flushSeconds, one);
  zeroSeries(m.eventToRow, labelProduct({ sink: [sink], from: ['event', 'ingest'] }));
}
