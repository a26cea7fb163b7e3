/**
 * The sinks' Prometheus metrics: prefix `retail_sink_`, label `sink` (docs/sinks.md lists them).
 * Consumer lag comes from lib/kafka/lag.ts with the same prefix.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export const SINK_METRIC_PREFIX = 'retail_sink_';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300];

export function createSinkMetrics(registry: Registry) {
  const p = SINK_METRIC_PREFIX;
  const registers = [registry];
  return {
    rowsWritten: new Counter({
      name: `${p}rows_written_total`,
      help: 'Rows durably written (committed) into the target',
      labelNames: ['sink'],
      registers,
    }),
    batchRows: new Histogram({
      name: `${p}batch_rows`,
      help: 'Rows per written batch',
      labelNames: ['sink'],
      buckets: [10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000],
      registers,
    }),
    flushSeconds: new Histogram({
      name: `${p}flush_duration_seconds`,
      help: 'Time to write and commit one batch (including retries)',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    eventToRow: new Histogram({
      name: `${p}event_to_row_seconds`,
      help: 'From the event time (from="event") or the Kafka record timestamp (from="ingest") to the commit of its row',
      labelNames: ['sink', 'from'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    dlq: new Counter({
      name: `${p}dlq_records_total`,
      help: 'Records sent to the dead-letter topic, by reason',
      labelNames: ['sink', 'reason'],
      registers,
    }),
    skipped: new Counter({
      name: `${p}records_skipped_total`,
      help: 'Records fetched again below the stored position (already written) and skipped',
      labelNames: ['sink'],
      registers,
    }),
    writeRetries: new Counter({
      name: `${p}write_retries_total`,
      help: 'Retriable write failures (target down, connection lost) that were retried',
      labelNames: ['sink'],
      registers,
    }),
    fenced: new Counter({
      name: `${p}fenced_total`,
      help: 'Partition segments rejected because another instance had moved the stored position',
      labelNames: ['sink'],
      registers,
    }),
    backpressureSeconds: new Counter({
      name: `${p}backpressure_seconds_total`,
      help: 'Time fetching was paused waiting for a slow flush',
      labelNames: ['sink'],
      registers,
    }),
    bufferedRows: new Gauge({
      name: `${p}buffered_rows`,
      help: 'Rows decoded and waiting for the next flush',
      labelNames: ['sink'],
      registers,
    }),
    partitionsCreated: new Counter({
      name: `${p}partitions_created_total`,
      help: 'Daily partitions created by the sink',
      labelNames: ['sink'],
      registers,
    }),
    partitionsDropped: new Counter({
      name: `${p}partitions_dropped_total`,
      help: 'Daily partitions removed by retention (mode="drop" or "detach")',
      labelNames: ['sink', 'mode'],
      registers,
    }),
    guardRows: new Counter({
      name: `${p}guard_rows_total`,
      help: 'Rows whose event day has no partition (older than retention or too far ahead): written to the guard (DEFAULT) partition',
      labelNames: ['sink'],
      registers,
    }),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;
