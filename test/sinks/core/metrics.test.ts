import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS } from '../../../lib/contracts/dlq.js';
import { createSinkMetrics, zeroSinkMetrics } from '../../../sinks/core/metrics.js';

describe('sink metrics on a fresh registry', () => {
  it('exports every counter and gauge of the sink at 0, each DLQ reason and retention mode included', async () => {
    const registry = new Registry();
    zeroSinkMetrics(createSinkMetrics(registry), 'postgres');
    const text = await registry.metrics();
    for (const reason of DLQ_REASONS)
      expect(text).toContain(`retail_sink_dlq_records_total{sink="postgres",reason="${reason}"} 0`);
    for (const mode of ['drop', 'detach'])
      expect(text).toContain(`retail_sink_partitions_dropped_total{sink="postgres",mode="${mode}"} 0`);
    for (const name of [
      'rows_written_total',
      'records_skipped_total',
      'write_retries_total',
      'stuck',
      'fenced_total',
      'backpressure_seconds_total',
      'buffered_rows',
      'partitions_created_total',
      'duplicates_dropped_total',
      'conflicting_duplicates_total',
      'guard_rows_total',
      'batch_rows_count',
      'flush_duration_seconds_count',
    ])
      expect(text).toContain(`retail_sink_${name}{sink="postgres"} 0`);
    expect(text).toContain('retail_sink_event_to_row_seconds_count{sink="postgres",from="ingest"} 0');
    // Every metric of the sink has a sample: none is left with only HELP and TYPE lines — but for
    // those labelled by the server's own code, an open set known only when a refusal happens.
    const openLabels = new Set(['retail_sink_batch_splits_total']);
    const declared = [...text.matchAll(/^# TYPE (\S+)/gm)]
      .map((m) => m[1] ?? '')
      .filter((n) => !openLabels.has(n));
    const sampled = declared.filter((n) => new RegExp(`^${n}(_bucket|_count|_sum)?\\{`, 'm').test(text));
    expect(sampled).toEqual(declared);
  });
});
