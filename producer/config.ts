/**
 * The producer's configuration schema: every option of `retail-etl producer run`, its environment
 * variable and default (docs/producer.md prints this table). Validated at start, before anything
 * connects: a bad value is one line and a non-zero exit, and nothing is sent.
 */
import { hostname } from 'node:os';
import type { ConfigOf, Schema, IntField } from '../lib/config/index.js';
import { PRODUCER_CONTROL_TOPIC, PRODUCER_GROUP, environment, resolveConfig } from '../lib/config/index.js';
import { EtlError } from '../lib/errors.js';
import { PORTS } from '../lib/ports.js';
import { TOPICS } from '../lib/contracts/topics.js';
import { GENERATOR_DEFAULTS, LATE_DISTRIBUTIONS } from './generator.js';

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const DEFAULT_MAX_RATE = 50_000;

/**
 * The safety cap, read the same way by the producer, the `producer rate` CLI and the control panel
 * (same env variable, bounds and default), so the three can never disagree on it.
 */
export const MAX_RATE_FIELD = {
  type: 'int',
  min: 1,
  max: 10_000_000,
  env: 'PRODUCER_MAX_RATE',
  default: DEFAULT_MAX_RATE,
  doc: 'safety cap on the producer rate',
} as const satisfies IntField;

export const PRODUCER_SCHEMA = {
  rate: {
    type: 'int',
    min: 1,
    env: 'PRODUCER_RATE',
    default: 100,
    doc: 'target events per second (a desired rate in the control topic overrides it)',
  },
  maxRate: { ...MAX_RATE_FIELD, doc: 'safety cap: a start rate or a control change above it is refused' },
  duration: {
    type: 'string',
    env: 'PRODUCER_DURATION',
    doc: 'stop after this long (`90`, `30s`, `5m`, `2h`); unset = run until stopped',
  },
  count: { type: 'int', min: 1, env: 'PRODUCER_COUNT', doc: 'stop after this many events; unset = no limit' },
  seed: {
    type: 'int',
    min: 0,
    max: 4_294_967_295,
    env: 'PRODUCER_SEED',
    doc: 'generator seed; unset = a random seed, logged at start so a run can be repeated',
  },
  startTime: {
    type: 'string',
    env: 'PRODUCER_START_TIME',
    doc: 'simulated clock start (ISO time or epoch ms, not in the future): event times advance by 1/rate per event instead of following the wall clock, so seed + start time + rate give identical events',
  },
  topic: { type: 'string', env: 'PRODUCER_TOPIC', default: TOPICS.sales, doc: 'topic the events go to' },
  controlTopic: PRODUCER_CONTROL_TOPIC,
  group: PRODUCER_GROUP,
  replicaId: {
    type: 'string',
    env: 'PRODUCER_REPLICA_ID',
    doc: 'this replica’s name in reports (default <hostname>-<pid>)',
  },
  control: {
    type: 'bool',
    env: 'PRODUCER_CONTROL',
    default: true,
    doc: 'follow the control topic (false: fixed rate, no reports)',
  },
  metricsPort: {
    type: 'int',
    min: 0,
    max: 65535,
    env: 'PRODUCER_METRICS_PORT',
    default: PORTS.producerMetrics,
    doc: 'port of /metrics, /healthz, /readyz (0 = any free port)',
  },
  batchSize: {
    type: 'int',
    min: 1,
    max: 5000,
    env: 'PRODUCER_BATCH_SIZE',
    default: 2000,
    doc: 'most events in one produce request (≤ 5000 keeps a one-partition batch under the broker’s 1 MB message.max.bytes)',
  },
  lingerMs: {
    type: 'int',
    min: 0,
    max: 1000,
    env: 'PRODUCER_LINGER_MS',
    // 10 ms sent one acks=all request per event at 100 events/s (~100 requests/s, a large share of
    // the broker's CPU at rest); 100 ms sends 10 events a request there and adds at most 100 ms
    // of latency at low rates (at high rates batches fill to batchSize first).
    default: 100,
    doc: 'wait until this many milliseconds of events are due before sending (fewer, larger requests)',
  },
  compression: {
    type: 'enum',
    values: COMPRESSIONS,
    env: 'PRODUCER_COMPRESSION',
    default: 'none',
    doc: 'record batch compression (kafkajs has gzip built in; none is fastest on a local broker, see docs)',
  },
  validate: {
    type: 'bool',
    env: 'PRODUCER_VALIDATE',
    default: true,
    doc: 'check every generated event with the shared validator before sending',
  },
  stores: {
    type: 'int',
    min: 1,
    max: 100_000,
    env: 'PRODUCER_STORES',
    default: GENERATOR_DEFAULTS.stores,
    doc: 'number of stores in the catalogue',
  },
  skus: {
    type: 'int',
    min: 1,
    max: 10_000_000,
    env: 'PRODUCER_SKUS',
    default: GENERATOR_DEFAULTS.skus,
    doc: 'number of SKUs in the catalogue',
  },
  zipfExponent: {
    type: 'number',
    min: 0,
    max: 5,
    env: 'PRODUCER_ZIPF_EXPONENT',
    default: GENERATOR_DEFAULTS.zipfExponent,
    doc: 'SKU popularity skew (0 = uniform)',
  },
  returnShare: {
    type: 'number',
    min: 0,
    max: 1,
    env: 'PRODUCER_RETURN_SHARE',
    default: GENERATOR_DEFAULTS.returnShare,
    doc: 'share of baskets that are returns (negative quantity)',
  },
  duplicateShare: {
    type: 'number',
    min: 0,
    max: 0.5,
    env: 'PRODUCER_DUPLICATE_SHARE',
    default: GENERATOR_DEFAULTS.duplicateShare,
    doc: 'share of events that re-send a recent event with the same event_id',
  },
  lateShare: {
    type: 'number',
    min: 0,
    max: 1,
    env: 'PRODUCER_LATE_SHARE',
    default: GENERATOR_DEFAULTS.lateShare,
    doc: 'share of baskets whose event time lags the clock',
  },
  lateDistribution: {
    type: 'enum',
    values: LATE_DISTRIBUTIONS,
    env: 'PRODUCER_LATE_DISTRIBUTION',
    default: GENERATOR_DEFAULTS.lateDistribution,
    doc: 'how lateness is drawn: exponential (mean late-mean-ms) or uniform (0..late-mean-ms)',
  },
  lateMeanMs: {
    type: 'int',
    min: 1,
    env: 'PRODUCER_LATE_MEAN_MS',
    default: GENERATOR_DEFAULTS.lateMeanMs,
    doc: 'mean (exponential) or upper bound (uniform) of the lateness, ms',
  },
  lateMaxMs: {
    type: 'int',
    min: 1,
    env: 'PRODUCER_LATE_MAX_MS',
    default: GENERATOR_DEFAULTS.lateMaxMs,
    doc: 'no event is later than this, ms',
  },
  promoShare: {
    type: 'number',
    min: 0,
    max: 1,
    env: 'PRODUCER_PROMO_SHARE',
    default: GENERATOR_DEFAULTS.promoShare,
    doc: 'share of basket lines drawn from the day’s two promoted categories',
  },
  currency: {
    type: 'string',
    env: 'PRODUCER_CURRENCY',
    default: GENERATOR_DEFAULTS.currency,
    doc: 'ISO 4217 currency of every price',
  },
} satisfies Schema;

export type ProducerConfigRaw = ConfigOf<typeof PRODUCER_SCHEMA>;

export interface ProducerConfig extends Omit<
  ProducerConfigRaw,
  'duration' | 'startTime' | 'seed' | 'replicaId'
> {
  seed: number;
  replicaId: string;
  durationMs: number | undefined;
  startTime: number | undefined;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90` (seconds), `500ms`, `30s`, `5m`, `2h` → milliseconds. */
export function parseDuration(text: string, key = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) {
    throw new EtlError(
      'CONFIG_INVALID',
      `producer: ${key} must be a positive duration like 30s, 5m or 2h, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

function parseStartTime(text: string, now: number): number {
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) {
    throw new EtlError(
      'CONFIG_INVALID',
      `producer: startTime must be an ISO time or epoch milliseconds, got ${JSON.stringify(text)}`,
    );
  }
  if (t > now)
    throw new EtlError('CONFIG_INVALID', `producer: startTime ${new Date(t).toISOString()} is in the future`);
  if (t < Date.UTC(2000, 0, 1))
    throw new EtlError('CONFIG_INVALID', 'producer: startTime is before 2000-01-01');
  return t;
}

export function rateAboveCap(rate: number, cap: number): EtlError {
  return new EtlError('RATE_ABOVE_CAP', `rate ${rate} events/s is above the safety cap of ${cap} events/s`, {
    hint: 'choose a lower rate, or raise the cap with --max-rate / PRODUCER_MAX_RATE on the producers and here',
  });
}

/** Resolve and check the whole configuration; throws EtlError (CONFIG_INVALID, RATE_ABOVE_CAP). */
export function resolveProducerConfig(
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
  now = Date.now(),
): ProducerConfig {
  const raw = resolveConfig('producer', PRODUCER_SCHEMA, explicit, env);
  if (raw.rate > raw.maxRate) throw rateAboveCap(raw.rate, raw.maxRate);
  if (!/^[A-Z]{3}$/.test(raw.currency)) {
    throw new EtlError(
      'CONFIG_INVALID',
      `producer: currency must be three capital letters (ISO 4217), got ${JSON.stringify(raw.currency)}`,
    );
  }
  if (raw.lateMaxMs < raw.lateMeanMs && raw.lateDistribution === 'uniform') {
    throw new EtlError(
      'CONFIG_INVALID',
      'producer: lateMaxMs must be ≥ lateMeanMs for the uniform distribution',
    );
  }
  const { duration, startTime, seed, replicaId, ...rest } = raw;
  return {
    ...rest,
    // Resolved here, not as the schema default, so the documented default stays the same text.
    replicaId: replicaId ?? `${hostname()}-${process.pid}`,
    seed: seed ?? Math.floor(Math.random() * 4_294_967_295),
    durationMs: duration === undefined ? undefined : parseDuration(duration),
    startTime: startTime === undefined ? undefined : parseStartTime(startTime, now),
  };
}
