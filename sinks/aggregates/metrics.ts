/**
 * The aggregate sink's metrics: the shared sink metrics (sinks/core/metrics.ts, prefix `retail_sink_`,
 * label `sink="aggregates-postgres|aggregates-clickhouse"`) plus per-table row counters.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { SINK_METRIC_PREFIX, createSinkMetrics } from '../core/metrics.js';

export function createAggMetrics(registry: Registry) {
  const p = SINK_METRIC_PREFIX;
  const registers = [registry];
  return {
    ...createSinkMetrics(registry),
    rowsUpserted: new Counter({
      name: `${p}rows_upserted_total`,
      help: 'Aggregate rows inserted or replaced (committed), by table',
      labelNames: ['sink', 'table'],
      registers,
    }),
    rowsDeleted: new Counter({
      name: `${p}rows_deleted_total`,
      help: 'Aggregate keys deleted by a tombstone (committed), by table',
      labelNames: ['sink', 'table'],
      registers,
    }),
    recordsCollapsed: new Counter({
      name: `${p}records_collapsed_total`,
      help: 'Aggregate records replaced by a later record of the same key within one batch (not written)',
      labelNames: ['sink', 'table'],
      registers,
    }),
  };
}

export type AggMetrics = ReturnType<typeof createAggMetrics>;
