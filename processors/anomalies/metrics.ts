/**
 * The anomaly operator's metrics (prefix `retail_processor_`): what the alert rule
 * `RetailSalesAnomaly` (the last score against the threshold: firing while a store's last closed
 * hour is anomalous, resolved by its next normal hour) and the processors dashboard read. Counted when an hour is scored, like the other
 * processor counters (an aborted transaction is processed again and counts again); the table
 * `sales_anomalies` is the exact record.
 */
import type { Registry } from 'prom-client';
import { ANOMALY_DIRECTIONS, ANOMALY_METRICS } from '../../lib/contracts/anomaly/schema.js';
import { metricFactory } from '../../lib/metric-factory.js';
import { labelProduct, zeroSeries } from '../../lib/metric-zero.js';
import type { AnomalyObserver } from './logic.js';
import type { Score } from './score.js';

export function anomalyMetrics(registry: Registry, threshold: number): AnomalyObserver {
  const m = metricFactory(registry, 'retail_processor_');
  // The alert compares the last score with this, so a changed threshold needs no rule change.
  m.gauge('anomaly_threshold', '|robust z-score| at or above which a store-hour is an anomaly', []).set(
    threshold,
  );
  const anomalies = m.counter(
    'anomalies_total',
    'store-hours whose revenue or units scored at or beyond the threshold, by store, metric and direction',
    ['store', 'metric', 'direction'],
  );
  const lastScore = m.gauge(
    'anomaly_score',
    "robust z-score of the store's last scored hour, by metric (0 = as usual; sign = direction)",
    ['store', 'metric'],
  );
  const scored = m.counter('anomaly_hours_scored_total', 'store-hours scored, by metric', ['metric']);
  // Stores are not known at start: a series without the store label stands for "none yet" — 0
  // anomalies per metric and direction, a score of 0 per metric — so a fresh stack's panel and the
  // sums over stores read 0, not "No data". Real stores' series join them as hours are scored.
  zeroSeries(scored, labelProduct({ metric: ANOMALY_METRICS }));
  zeroSeries(anomalies, labelProduct({ metric: ANOMALY_METRICS, direction: ANOMALY_DIRECTIONS }));
  zeroSeries(lastScore, labelProduct({ metric: ANOMALY_METRICS }));
  return (store, metric, score) => {
    scored.inc({ metric });
    lastScore.set({ store, metric }, Number(shown(score, threshold).toFixed(3)));
    if (score.anomalous) anomalies.inc({ store, metric, direction: score.direction });
  };
}

/**
 * The score the gauge shows, which the alert compares with the threshold: the score itself, except
 * a revenue deviation the units did not confirm (not an anomaly, no row in sales_anomalies), which
 * is shown just inside the threshold so that the alert does not fire for it.
 */
export function shown(score: Score, threshold: number): number {
  if (score.anomalous || Math.abs(score.score) < threshold) return score.score;
  return Math.sign(score.score) * (threshold - 0.001);
}
