// The pipeline's SLOs, checked at the end of a profile against Prometheus (PROMETHEUS_URL):
// p95 event-to-row latency < 5 s and sink consumer lag < 60 s. Each value lands in a Trend whose
// threshold makes the k6 run fail when the SLO is missed.
import http from 'k6/http';
import { Trend } from 'k6/metrics';

export const e2eP95 = new Trend('slo_event_to_row_p95_seconds');
export const lagSeconds = new Trend('slo_consumer_lag_seconds');

export const sloThresholds = {
  slo_event_to_row_p95_seconds: ['max<5'],
  slo_consumer_lag_seconds: ['max<60'],
};

function scalar(prometheus, query) {
  const res = http.get(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`, {
    tags: { name: 'prometheus' },
  });
  if (res.status !== 200) return undefined;
  const result = res.json('data.result');
  if (!result || result.length === 0) return undefined;
  return Number(result[0].value[1]);
}

export function checkSlo(window) {
  const prometheus = __ENV.PROMETHEUS_URL || 'http://127.0.0.1:9090';
  const p95 = scalar(
    prometheus,
    // From the Kafka record timestamp (the pipeline's own latency): late events are late by design.
    `histogram_quantile(0.95, sum by (le) (rate(retail_sink_event_to_row_seconds_bucket{from="ingest"}[${window}])))`,
  );
  const lag = scalar(prometheus, 'max({__name__=~"retail_[a-z]+_consumer_lag_seconds"})');
  // No data is a failure too: an SLO that cannot be measured is not met.
  e2eP95.add(p95 === undefined || Number.isNaN(p95) ? 1e9 : p95);
  lagSeconds.add(lag === undefined || Number.isNaN(lag) ? 1e9 : lag);
}
