/**
 * The sales anomaly contract (docs/anomalies.md): one record per store, closed hour and metric
 * whose robust z-score crossed the threshold, Avro on `retail.agg.sales-anomalies.v1` (Confluent
 * framing, subject below), keyed `<window_start ISO>|<store_id>|<metric>` — the table's key too, so
 * a replayed hour replaces its record instead of adding one.
 *
 * Evolution rule: as the sale event's (docs/events.md) — new fields only with a default.
 */
import { decodeKey, encodeKey } from '../aggregates/keys.js';

export const ANOMALY_SUBJECT = 'retail.agg.sales-anomalies.v1-value';

export const ANOMALY_METRICS = ['revenue', 'units'] as const;
export type AnomalyMetric = (typeof ANOMALY_METRICS)[number];

export const ANOMALY_DIRECTIONS = ['up', 'down'] as const;
export type AnomalyDirection = (typeof ANOMALY_DIRECTIONS)[number];

export const ANOMALY_SCHEMA = {
  type: 'record',
  name: 'SalesAnomaly',
  namespace: 'retail.agg.sales_anomalies.v1',
  doc: "A store's closed hour far from that store's own recent history (robust z-score).",
  fields: [
    { name: 'store_id', type: 'string' },
    { name: 'window_start', type: 'long', doc: 'the hour, epoch milliseconds UTC' },
    { name: 'window_end', type: 'long', doc: 'window_start + 1 h' },
    {
      name: 'metric',
      type: { type: 'enum', name: 'AnomalyMetric', symbols: [...ANOMALY_METRICS] },
      doc: 'revenue (cents, returns negative) or units (quantity, returns negative)',
    },
    { name: 'observed', type: 'double', doc: "the hour's total (0 when the store sold nothing)" },
    { name: 'expected', type: 'double', doc: 'median of the history points' },
    { name: 'mad', type: 'double', doc: 'median absolute deviation of the history (after its floor)' },
    { name: 'score', type: 'double', doc: '0.6745 × (observed − expected) / mad' },
    {
      name: 'direction',
      type: { type: 'enum', name: 'AnomalyDirection', symbols: [...ANOMALY_DIRECTIONS] },
    },
    { name: 'history_points', type: 'int', doc: 'history points the score used' },
    { name: 'threshold', type: 'double', doc: '|score| at or above which the hour is an anomaly' },
  ],
} as const;

export interface SalesAnomaly {
  store_id: string;
  window_start: number;
  window_end: number;
  metric: AnomalyMetric;
  observed: number;
  expected: number;
  mad: number;
  score: number;
  direction: AnomalyDirection;
  history_points: number;
  threshold: number;
}

export function anomalyKey(a: Pick<SalesAnomaly, 'window_start' | 'store_id' | 'metric'>): string {
  return encodeKey([new Date(a.window_start).toISOString(), a.store_id, a.metric]);
}

export function parseAnomalyKey(
  key: string,
): Pick<SalesAnomaly, 'window_start' | 'store_id' | 'metric'> | undefined {
  const parts = decodeKey(key);
  if (parts?.length !== 3) return undefined;
  const [at, store_id, metric] = parts as [string, string, string];
  const window_start = Date.parse(at);
  if (!Number.isFinite(window_start) || store_id === '') return undefined;
  if (!(ANOMALY_METRICS as readonly string[]).includes(metric)) return undefined;
  return { window_start, store_id, metric: metric as AnomalyMetric };
}
