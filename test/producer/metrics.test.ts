import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_KINDS,
  CONTROL_RESULTS,
  ERROR_KINDS,
  EVENT_KINDS,
  producerMetrics,
} from '../../producer/metrics.js';

describe('producer metrics on a fresh registry', () => {
  it('exports every event kind, error kind and control change at 0 before anything is sent', async () => {
    const { registry } = producerMetrics(new Registry());
    const text = await registry.metrics();
    for (const kind of EVENT_KINDS) expect(text).toContain(`retail_producer_events_total{kind="${kind}"} 0`);
    for (const kind of ERROR_KINDS) expect(text).toContain(`retail_producer_errors_total{kind="${kind}"} 0`);
    for (const kind of CONTROL_KINDS)
      for (const result of CONTROL_RESULTS)
        expect(text).toContain(`retail_producer_control_changes_total{kind="${kind}",result="${result}"} 0`);
    expect(text).toContain('retail_producer_late_events_total 0');
    registry.clear();
  });
});
