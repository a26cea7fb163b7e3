import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAggMetrics, zeroAggMetrics } from '../../../sinks/aggregates/metrics.js';

describe('aggregate sink metrics on a fresh registry', () => {
  it('exports the per-table counters of each table at 0, and the shared sink series', async () => {
    const registry = new Registry();
    zeroAggMetrics(createAggMetrics(registry), 'aggregates-postgres', ['sales_hourly', 'top_skus']);
    const text = await registry.metrics();
    for (const name of ['rows_upserted_total', 'rows_deleted_total', 'records_collapsed_total'])
      for (const table of ['sales_hourly', 'top_skus'])
        expect(text).toContain(`retail_sink_${name}{sink="aggregates-postgres",table="${table}"} 0`);
    expect(text).toContain(
      'retail_sink_dlq_records_total{sink="aggregates-postgres",reason="invalid_event"} 0',
    );
  });
});
