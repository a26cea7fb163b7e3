import { describe, expect, it } from 'vitest';
import {
  ANOMALY_STORE,
  anomalyCounter,
  anomalyPlan,
  formatAnomaly,
} from '../../../../bench/lib/demo/anomaly.js';
import type { SalesAnomaly } from '../../../../lib/contracts/anomaly/schema.js';
import { validateEvent } from '../../../../lib/contracts/event/validate.js';
import { anomalyTask } from '../../../../bench/lib/anomaly-quality.js';
import { processorConfig } from '../../../../processors/runtime/config.js';
import { compactEvent } from '../../../../processors/runtime/decode.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 3, 6, 40, 12);

/** The plan's events through hourly and the anomalies operator, as the demo's processors read them. */
function flagged(cfg: ReturnType<typeof processorConfig>, events: ReturnType<typeof anomalyPlan>['events']) {
  const out: SalesAnomaly[] = [];
  const task = anomalyTask(cfg, (a) => out.push(a));
  const records = events.map((e, i) => ({ offset: i, event: compactEvent(e) }));
  for (let i = 0; i < records.length; i += 500)
    task.processBatch(0, records.slice(i, i + 500), Math.min(i + 499, records.length - 1));
  return out.map((a) => `${a.store_id} ${(a.window_start - NOW) / HOUR} ${a.metric} ${a.direction}`);
}

describe("the demo's anomaly", () => {
  it('history for the default season: 5 past days, the ×5 hour closed an hour before now', () => {
    const plan = anomalyPlan(processorConfig({}, {}), NOW);
    expect(plan.historyHours).toBe(5 * 24);
    expect(plan.hour).toBe(Date.UTC(2026, 11, 3, 4));
    expect(Math.max(...plan.events.map((e) => e.event_time))).toBeLessThan(Date.UTC(2026, 11, 3, 6));
    expect(plan.events.every((e) => validateEvent(e, { now: NOW }).ok)).toBe(true);
  });

  it('at least 16 past hours with a short season', () => {
    expect(anomalyPlan({ anomalyMinHistory: 12, anomalySeasonHours: 1 }, NOW).historyHours).toBe(16);
  });

  it('fires on the ×5 hour (revenue and units, up) and nowhere else, at the defaults and with the last hours', () => {
    const want = [
      `${ANOMALY_STORE} ${(Date.UTC(2026, 11, 3, 4) - NOW) / HOUR} revenue up`,
      `${ANOMALY_STORE} ${(Date.UTC(2026, 11, 3, 4) - NOW) / HOUR} units up`,
    ];
    const defaults = processorConfig({}, {});
    expect(flagged(defaults, anomalyPlan(defaults, NOW).events)).toEqual(want);
    const lastHours = processorConfig(
      { anomalySeasonHours: 1, anomalyHistoryPoints: 16, anomalyMinHistory: 12 },
      {},
    );
    expect(flagged(lastHours, anomalyPlan(lastHours, NOW).events)).toEqual(want);
  });

  it('reads the counter of the store from /metrics', () => {
    const text = [
      'retail_processor_anomalies_total{metric="units",direction="up"} 0',
      'retail_processor_anomalies_total{store="S9001",metric="revenue",direction="up"} 1',
      'retail_processor_anomalies_total{store="S9001",metric="units",direction="up"} 2',
    ].join('\n');
    expect(anomalyCounter(text, 'S9001')).toBe(2);
    expect(anomalyCounter(text, 'S0001')).toBe(0);
    const shown = { store: 'S9001', hour: Date.UTC(2026, 11, 3, 4), rows: [], counter: 0 };
    expect(formatAnomaly(shown)).toContain('(no row)');
  });
});
