import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS } from '../../../lib/contracts/dlq.js';
import {
  RECORD_OUTCOMES,
  TRANSACTION_RESULTS,
  processorMetrics,
  zeroMergeMetrics,
  zeroProcessorMetrics,
} from '../../../processors/runtime/metrics.js';

describe('processor metrics on a fresh registry', () => {
  it('exports each operator’s outcomes, DLQ reasons and windows and the topology’s transactions at 0', async () => {
    const registry = new Registry();
    const m = processorMetrics(registry);
    zeroProcessorMetrics(m, { name: 'stage', operators: ['hourly', 'rolling'] });
    zeroMergeMetrics(m, 'top-skus-merge');
    const text = await registry.metrics();
    for (const op of ['hourly', 'rolling']) {
      for (const outcome of RECORD_OUTCOMES)
        expect(text).toContain(`retail_processor_records_total{processor="${op}",outcome="${outcome}"} 0`);
      for (const reason of DLQ_REASONS)
        expect(text).toContain(`retail_processor_dlq_records_total{processor="${op}",reason="${reason}"} 0`);
      expect(text).toContain(`retail_processor_late_records_total{processor="${op}"} 0`);
      expect(text).toContain(`retail_processor_windows_open{processor="${op}"} 0`);
    }
    for (const p of ['stage', 'top-skus-merge'])
      for (const result of TRANSACTION_RESULTS)
        expect(text).toContain(`retail_processor_transactions_total{processor="${p}",result="${result}"} 0`);
    expect(text).toContain('retail_processor_state_keys{processor="stage",kind="dedup"} 0');
    expect(text).toContain('retail_processor_restore_retries_total{processor="stage"} 0');
  });
});
