/** The producer's Prometheus metrics (all `retail_producer_*`; docs/producer.md lists them). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/process-metrics.js';
import { labelProduct, zeroSeries } from '../lib/metric-zero.js';

/** Label values of the producer's counters (each series exported at 0 from the start). */
export const EVENT_KINDS = ['sale', 'return', 'duplicate'] as const;
export const ERROR_KINDS = ['send', 'fatal', 'invalid_generated'] as const;
export const CONTROL_KINDS = ['rate', 'paused'] as const;
export const CONTROL_RESULTS = ['applied', 'refused'] as const;

export function producerMetrics(registry = new Registry()) {
  collectProcessMetrics(registry, 'retail_producer_process_');
  const m = {
    registry,
    events: new Counter({
      name: 'retail_producer_events_total',
      help: 'Events acknowledged by Kafka, by kind (sale, return, duplicate = intentional re-send)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    lateEvents: new Counter({
      name: 'retail_producer_late_events_total',
      help: 'Acknowledged events generated with an event time behind the clock',
      registers: [registry],
    }),
    bytes: new Counter({
      name: 'retail_producer_bytes_total',
      help: 'Encoded record value bytes acknowledged by Kafka (before compression)',
      registers: [registry],
    }),
    targetRate: new Gauge({
      name: 'retail_producer_target_rate',
      help: 'Target rate in events per second (0 while paused)',
      registers: [registry],
    }),
    configuredRate: new Gauge({
      name: 'retail_producer_configured_rate',
      help: 'Rate the producer runs at when not paused, events per second',
      registers: [registry],
    }),
    actualRate: new Gauge({
      name: 'retail_producer_actual_rate',
      help: 'Acknowledged events per second over the last 5 seconds',
      registers: [registry],
    }),
    rateCap: new Gauge({
      name: 'retail_producer_rate_cap',
      help: 'Safety cap on the rate, events per second',
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'retail_producer_paused',
      help: '1 while paused through the control topic, else 0',
      registers: [registry],
    }),
    sendLatency: new Histogram({
      name: 'retail_producer_send_duration_seconds',
      help: 'Time from send to acknowledgement of one produce request',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'retail_producer_batch_events',
      help: 'Events per produce request',
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 25000],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'retail_producer_errors_total',
      help: 'Failed produce requests (retried with the same records) and other errors, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    controlChanges: new Counter({
      name: 'retail_producer_control_changes_total',
      help: 'Control records applied or refused, by kind (rate, paused) and result',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
  };
  zeroSeries(m.events, labelProduct({ kind: EVENT_KINDS }));
  zeroSeries(m.errors, labelProduct({ kind: ERROR_KINDS }));
  zeroSeries(m.controlChanges, labelProduct({ kind: CONTROL_KINDS, result: CONTROL_RESULTS }));
  return m;
}

export type ProducerMetrics = ReturnType<typeof producerMetrics>;
