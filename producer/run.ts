/**
 * The producer process behind `retail-etl producer run`: generator → validator → Avro (Confluent
 * framing) → one idempotent kafkajs producer, paced by a token bucket and steered at run time by
 * the control topic. Sends are sequential (kafkajs requires maxInFlightRequests 1 for idempotence),
 * and a failed send is retried with the very same records, so kafkajs re-uses their sequence
 * numbers and the broker drops whatever it had already written: a broker restart costs no duplicate.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Message, Producer } from '../lib/kafka/index.js';
import { CompressionTypes, Partitioners, createKafka, ensureTopics } from '../lib/kafka/index.js';
import { EtlError } from '../lib/errors.js';
import { validateEvent, describeProblems } from '../lib/contracts/event/validate.js';
import { createRegistry, SaleEventSerde } from '../lib/contracts/event/serde.js';
import type { Logger } from '../lib/logger.js';
import { createLogger } from '../lib/logger.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import type { TopicSpec } from '../lib/contracts/topics.js';
import { DEFAULT_TOPIC_SPECS } from '../lib/contracts/topics.js';
import type { ProducerConfig } from './config.js';
import type { PausedRecord, RateRecord, ReplicaReport } from '../lib/contracts/control.js';
import { ControlFollower, publishControl } from './control.js';
import { controlKeys } from '../lib/contracts/control.js';
import type { GeneratedEvent } from './generator.js';
import { SaleGenerator } from './generator.js';
import type { ProducerMetrics } from './metrics.js';
import { producerMetrics } from './metrics.js';
import { TokenBucket } from './token-bucket.js';

export interface ProducerSummary {
  events: number;
  duplicates: number;
  late: number;
  bytes: number;
  seconds: number;
  seed: number;
  /** Events generated but never acknowledged (a stop during a long outage). */
  unacknowledged: number;
}

export interface ProducerStatus {
  rate: number;
  paused: boolean;
  events: number;
  actualRate: number;
}

export interface ProducerHandle {
  /** Resolves when the run ends by itself (count or duration reached) or after stop(). */
  finished: Promise<ProducerSummary>;
  /** Graceful stop: finish (flush) the request in flight, report, disconnect. */
  stop(): Promise<ProducerSummary>;
  status(): ProducerStatus;
  /** Port of /metrics, /healthz, /readyz. */
  metricsPort: number;
  metrics: ProducerMetrics;
}

export interface StartOptions {
  logger?: Logger;
  kafka?: Kafka;
  registryUrl?: string;
  /** How long a stop waits for an unacknowledged request during an outage. */
  stopGraceMs?: number;
}

const REPORT_EVERY_MS = 5000;

/** Kafka errors that retrying the same records cannot cure. */
const FATAL_SEND_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'UNSUPPORTED_VERSION',
]);

/** Sleep that a control change can cut short. */
class Waker {
  private wakeUp: (() => void) | undefined;
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }
  wake(): void {
    this.wakeUp?.();
  }
}

function topicSpecs(config: ProducerConfig): TopicSpec[] {
  const specs = [...DEFAULT_TOPIC_SPECS];
  if (!specs.some((s) => s.topic === config.topic)) specs.push({ topic: config.topic, numPartitions: 6 });
  if (!specs.some((s) => s.topic === config.controlTopic)) {
    specs.push({ topic: config.controlTopic, numPartitions: 1, compacted: true });
  }
  return specs;
}

/**
 * The generator a producer with this config runs. With `startTime`, the clock is simulated
 * (start + events pulled × 1000 / rate), so the whole sequence is a function of the config: a test
 * can regenerate exactly what a producer sent.
 */
export function createGenerator(config: ProducerConfig): { next(): GeneratedEvent } {
  let pulled = 0;
  const start = config.startTime;
  const clock = start === undefined ? Date.now : () => start + (pulled * 1000) / config.rate;
  const generator = new SaleGenerator(
    {
      seed: config.seed,
      stores: config.stores,
      skus: config.skus,
      zipfExponent: config.zipfExponent,
      returnShare: config.returnShare,
      duplicateShare: config.duplicateShare,
      lateShare: config.lateShare,
      lateDistribution: config.lateDistribution,
      lateMeanMs: config.lateMeanMs,
      lateMaxMs: config.lateMaxMs,
      promoShare: config.promoShare,
      currency: config.currency,
    },
    clock,
  );
  return {
    next: () => {
      const g = generator.next();
      pulled++;
      return g;
    },
  };
}

export async function startProducer(
  config: ProducerConfig,
  options: StartOptions = {},
): Promise<ProducerHandle> {
  const logger = options.logger ?? createLogger('producer');
  const log = logger.child({ replica: config.replicaId, group: config.group });
  const kafka = options.kafka ?? createKafka(`retail-producer-${config.replicaId}`);
  const metrics = producerMetrics();
  const keys = controlKeys(config.group);
  const compression = config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(admin, topicSpecs(config));
  } catch (err) {
    throw err instanceof EtlError
      ? err
      : new EtlError('KAFKA_ERROR', `cannot reach Kafka: ${(err as Error).message}`, {
          retriable: true,
          hint: 'is the stack running (make up)? check KAFKA_BROKERS',
          cause: err,
        });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const serde = new SaleEventSerde(createRegistry(options.registryUrl));
  const schemaId = await serde.register();

  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const controlProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

  // State changed by the control follower and read by the loop.
  let rate = config.rate;
  let paused = false;
  let lastChange: string | undefined;
  let stopping = false;
  let healthy = true;
  const bucket = new TokenBucket(rate);
  const waker = new Waker();
  const startedAt = new Date();

  let generated = 0;
  const generator = createGenerator(config);

  const totals = { events: 0, duplicates: 0, late: 0, bytes: 0, unacknowledged: 0 };
  const samples: { t: number; events: number }[] = [];
  let actualRate = 0;

  metrics.targetRate.set(rate);
  metrics.configuredRate.set(rate);
  metrics.rateCap.set(config.maxRate);
  metrics.paused.set(0);

  const report = (state: ReplicaReport['state']): ReplicaReport => ({
    v: 1,
    kind: 'replica',
    replica: config.replicaId,
    host: hostname(),
    pid: process.pid,
    state,
    rate,
    paused,
    cap: config.maxRate,
    actualRate: Math.round(actualRate * 10) / 10,
    events: totals.events,
    startedAt: startedAt.toISOString(),
    at: new Date().toISOString(),
    ...(lastChange === undefined ? {} : { lastChange }),
  });
  const sendReport = async (state: ReplicaReport['state'] = paused ? 'paused' : 'running') => {
    if (!config.control) return;
    await publishControl(
      controlProducer,
      config.controlTopic,
      keys.replica(config.replicaId),
      report(state),
    ).catch((err: unknown) => log.warn('could not write the replica report', { err }));
  };

  const applyControl = (record: RateRecord | PausedRecord, replay: boolean): void => {
    const who = { actor: record.actor, at: record.at, from_host: record.host, replay };
    if (record.kind === 'rate') {
      if (record.rate === rate) return;
      if (!Number.isInteger(record.rate) || record.rate < 1 || record.rate > config.maxRate) {
        lastChange = `refused rate ${record.rate}/s from ${record.actor}: outside 1..${config.maxRate}`;
        metrics.controlChanges.inc({ kind: 'rate', result: 'refused' });
        log.warn('control: rate refused (above this replica’s cap)', {
          ...who,
          rate: record.rate,
          cap: config.maxRate,
        });
      } else {
        log.info('control: rate changed', { ...who, from: rate, to: record.rate });
        lastChange = `rate ${rate}→${record.rate}/s by ${record.actor} at ${record.at}`;
        rate = record.rate;
        bucket.setRate(rate);
        metrics.configuredRate.set(rate);
        if (!paused) metrics.targetRate.set(rate);
        metrics.controlChanges.inc({ kind: 'rate', result: 'applied' });
      }
    } else {
      if (record.paused === paused) return;
      paused = record.paused;
      lastChange = `${paused ? 'paused' : 'resumed'} by ${record.actor} at ${record.at}`;
      log.info(`control: ${paused ? 'paused' : 'resumed'}`, who);
      if (!paused) bucket.reset();
      metrics.paused.set(paused ? 1 : 0);
      metrics.targetRate.set(paused ? 0 : rate);
      metrics.controlChanges.inc({ kind: 'paused', result: 'applied' });
    }
    waker.wake();
    if (!replay) void sendReport();
  };

  let follower: ControlFollower | undefined;
  if (config.control) {
    await controlProducer.connect();
    follower = new ControlFollower(kafka, config.controlTopic, config.group, log);
    await follower.start(applyControl);
  }

  const server: Server = await startProcessServer({
    port: config.metricsPort,
    registry: metrics.registry,
    ready: () => healthy,
  });
  const metricsPort = (server.address() as AddressInfo).port;

  log.info('producer started', {
    seed: config.seed,
    rate,
    paused,
    cap: config.maxRate,
    topic: config.topic,
    schemaId,
    compression: config.compression,
    metricsPort,
    startTime: config.startTime,
  });
  await sendReport();

  const tick = setInterval(() => {
    const now = performance.now();
    samples.push({ t: now, events: totals.events });
    while (samples.length > 6) samples.shift();
    const first = samples[0];
    if (first && now > first.t) actualRate = ((totals.events - first.events) * 1000) / (now - first.t);
    metrics.actualRate.set(actualRate);
  }, 1000);
  const reporter = setInterval(() => void sendReport(), REPORT_EVERY_MS);

  // Tokens accrued while connecting would be a burst at start.
  bucket.reset();
  const began = performance.now();
  const deadline = config.durationMs === undefined ? Infinity : Date.now() + config.durationMs;
  let stopDeadline = Infinity;
  let sendFailures = 0;

  const send = async (messages: Message[]): Promise<boolean> => {
    for (;;) {
      const end = metrics.sendLatency.startTimer();
      try {
        await producer.send({ topic: config.topic, acks: -1, compression, messages });
        end();
        if (sendFailures > 0) log.info('sending again after failures', { failures: sendFailures });
        sendFailures = 0;
        healthy = true;
        return true;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== undefined && FATAL_SEND_ERRORS.has(type)) {
          // Retrying cannot help (e.g. a batch above the broker's message.max.bytes): stop loudly.
          metrics.errors.inc({ kind: 'fatal' });
          throw new EtlError('KAFKA_ERROR', `Kafka refused the records: ${(err as Error).message}`, {
            serverCode: type,
            hint: type === 'MESSAGE_TOO_LARGE' ? 'lower --batch-size' : undefined,
            cause: err,
          });
        }
        sendFailures++;
        healthy = false;
        metrics.errors.inc({ kind: 'send' });
        if (sendFailures === 1 || sendFailures % 10 === 0) {
          log.warn('send failed; retrying the same records (idempotent: no duplicates)', {
            failures: sendFailures,
            err,
          });
        }
        if (Date.now() > stopDeadline) return false;
        await sleep(Math.min(5000, 200 * 2 ** Math.min(sendFailures, 5)));
      }
    }
  };

  interface Batch {
    messages: Message[];
    bytes: number;
    dups: number;
    late: number;
    returns: number;
  }
  const account = (b: Batch): void => {
    totals.events += b.messages.length;
    totals.duplicates += b.dups;
    totals.late += b.late;
    totals.bytes += b.bytes;
    metrics.events.inc({ kind: 'duplicate' }, b.dups);
    metrics.events.inc({ kind: 'return' }, b.returns);
    metrics.events.inc({ kind: 'sale' }, b.messages.length - b.dups - b.returns);
    metrics.lateEvents.inc(b.late);
    metrics.bytes.inc(b.bytes);
  };

  const build = (n: number): Batch => {
    const batch: Batch = { messages: [], bytes: 0, dups: 0, late: 0, returns: 0 };
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const g = generator.next();
      generated++;
      if (config.validate) {
        const v = validateEvent(g.event, { now });
        if (!v.ok) {
          // A generator bug, not bad input: count it loudly and keep the stream clean.
          metrics.errors.inc({ kind: 'invalid_generated' });
          log.error('generated event failed validation; skipped', {
            problems: describeProblems(v.problems),
          });
          continue;
        }
      }
      const value = serde.encode(g.event);
      batch.bytes += value.length;
      if (g.duplicate) batch.dups++;
      else if (g.event.quantity < 0) batch.returns++;
      if (g.late) batch.late++;
      batch.messages.push({ key: g.event.store_id, value });
    }
    return batch;
  };

  /**
   * One request in flight at a time (idempotence, and per-partition order), but the next batch is
   * generated and encoded while the previous one is on the wire.
   */
  const produceLoop = async (): Promise<void> => {
    let inFlight: { batch: Batch; sent: Promise<boolean> } | undefined;
    const settle = async (): Promise<boolean> => {
      if (!inFlight) return true;
      const { batch, sent } = inFlight;
      inFlight = undefined;
      if (await sent) {
        account(batch);
        return true;
      }
      totals.unacknowledged += batch.messages.length;
      return false;
    };
    while (!stopping) {
      if (config.count !== undefined && generated >= config.count) break;
      if (Date.now() >= deadline) break;
      if (paused) {
        if (!(await settle())) return;
        await waker.sleep(Math.min(1000, deadline - Date.now()));
        continue;
      }
      const want = Math.min(
        config.batchSize,
        config.count === undefined ? Infinity : config.count - generated,
      );
      const due = Math.max(1, Math.min(want, Math.floor((rate * config.lingerMs) / 1000)));
      const wait = bucket.waitMs(due);
      if (wait > 0) {
        await waker.sleep(Math.max(1, Math.min(wait, deadline - Date.now())));
        continue;
      }
      const batch = build(bucket.take(want));
      if (!(await settle())) return;
      if (batch.messages.length === 0) continue;
      metrics.batchSize.observe(batch.messages.length);
      inFlight = { batch, sent: send(batch.messages) };
    }
    await settle();
  };

  const summary = (): ProducerSummary => ({
    ...totals,
    seconds: (performance.now() - began) / 1000,
    seed: config.seed,
  });

  const loopDone = produceLoop().catch((err: unknown) => {
    log.error('producer loop failed', { err });
    throw err;
  });

  let closing: Promise<ProducerSummary> | undefined;
  const close = (): Promise<ProducerSummary> => {
    closing ??= (async () => {
      stopping = true;
      stopDeadline = Date.now() + (options.stopGraceMs ?? 30_000);
      waker.wake();
      await loopDone.catch(() => undefined);
      clearInterval(tick);
      clearInterval(reporter);
      const s = summary();
      log.info('producer stopped', { ...s });
      await sendReport('stopped');
      // A clean stop removes this replica's report (tombstone); a killed one shows as stale.
      if (config.control) {
        await publishControl(
          controlProducer,
          config.controlTopic,
          keys.replica(config.replicaId),
          null,
        ).catch(() => undefined);
      }
      await follower?.stop();
      await producer.disconnect().catch(() => undefined);
      await controlProducer.disconnect().catch(() => undefined);
      await closeServer(server);
      return s;
    })();
    return closing;
  };

  const finished = loopDone.then(
    () => close(),
    async (err: unknown) => {
      await close();
      throw err;
    },
  );

  return {
    finished,
    stop: close,
    status: () => ({ rate, paused, events: totals.events, actualRate }),
    metricsPort,
    metrics,
  };
}
