import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics } from '../../lib/process-metrics.js';

describe('collectProcessMetrics', () => {
  it('registers the Node process metrics under the prefix, event-loop delay included', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, 'retail_test_process_');
    const text = await registry.metrics();
    expect(text).toContain('retail_test_process_process_cpu_seconds_total');
    expect(text).toContain('retail_test_process_nodejs_eventloop_lag_p99_seconds');
    registry.clear();
  });
});
