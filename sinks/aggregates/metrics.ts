/**
 * The aggregate sink's metrics: the shared sink metrics (sinks/core/metrics.ts, prefix `retail_sink_`,
 * label `sink="aggregates-postgres|aggregates-clickhouse"`) plus per-table row counters.
 */
import type { Registry } from 'prom-client';
import { metricFactory } from '../../lib/metric-factory.js';
import { labelProduct, zeroSeries } from '../../lib/metric-zero.js';
import { SINK_METRIC_PREFIX, createSinkMetrics, zeroSinkMetrics } from '../core/metrics.js';

export function createAggMetrics(registry: Registry) {
  const m = metricFactory(registry, SINK_METRIC_PREFIX);
  return {
    ...createSinkMetrics(registry),
    rowsUpserted: m.counter(
      'rows_upserted_total',
      'Aggregate rows inserted or replaced (committed), by table',
      ['sink', 'table'],
    ),
    rowsDeleted: m.counter(
      'rows_deleted_total',
      'Aggregate keys deleted by a tombstone (committed), by table',
      ['sink', 'table'],
    ),
    recordsCollapsed: m.counter(
      'records_collapsed_total',
      'Aggregate records replaced by a later record of the same key within one batch (not written)',
      ['sink', 'table'],
    ),
  };
}

export type AggMetrics = ReturnType<typeof createAggMetrics>;

/** The shared sink series and the per-table counters of the tables this sink writes, at 0 from its start. */
export function zeroAggMetrics(m: AggMetrics, sink: string, tables: readonly string[]): void {
  zeroSinkMetrics(m, sink);
  const sets = labelProduct({ sink: [sink], table: tables });
  for (const counter of [m.rowsUpserted, m.rowsDeleted, m.recordsCollapsed]) zeroSeries(counter, sets);
}
