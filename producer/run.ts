/**
 * The producer process behind `retail-etl producer run`: generator → validator → Avro (Confluent
 * framing) → one idempotent kafkajs producer, paced by a token bucket and steered at run time by
 * the control topic. This file wires the parts and owns start-up and shutdown:
 *   batch.ts (records) → send-loop.ts (pacing) → sender.ts (retrying sends),
 *   rate-control.ts (control records → state), replica-report.ts (reports), throughput.ts (totals),
 *   topics.ts (the topics it needs, created at start).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from '../lib/kafka/index.js';
import { CompressionTypes, Partitioners, createKafka } from '../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../lib/contracts/event/serde.js';
import type { Logger } from '../lib/logger.js';
import { createLogger } from '../lib/logger.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import { BatchBuilder, createGenerator } from './batch.js';
import type { ProducerConfig } from './config.js';
import { controlKeys } from '../lib/contracts/control.js';
import { ControlFollower, publishControl } from './control.js';
import type { ProducerMetrics } from './metrics.js';
import { producerMetrics } from './metrics.js';
import { RateControl } from './rate-control.js';
import { ReplicaReporter } from './replica-report.js';
import { Sender } from './sender.js';
import { runSendLoop } from './send-loop.js';
import type { Totals } from './throughput.js';
import { Throughput } from './throughput.js';
import { ensureProducerTopics } from './topics.js';
import { TokenBucket } from './token-bucket.js';
import { Waker } from './waker.js';

export { createGenerator } from './batch.js';

export interface ProducerSummary extends Totals {
  seconds: number;
  seed: number;
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

export async function startProducer(
  config: ProducerConfig,
  options: StartOptions = {},
): Promise<ProducerHandle> {
  const logger = options.logger ?? createLogger('producer');
  const log = logger.child({ replica: config.replicaId, group: config.group });
  const kafka = options.kafka ?? createKafka(`retail-producer-${config.replicaId}`);
  const metrics = producerMetrics();
  const compression = config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  await ensureProducerTopics(kafka, config);
  const serde = new SaleEventSerde(createRegistry(options.registryUrl));
  const schemaId = await serde.register();

  // Sends are sequential: kafkajs requires maxInFlightRequests 1 for idempotence.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const controlProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

  const bucket = new TokenBucket(config.rate);
  const waker = new Waker();
  const control = new RateControl({ rate: config.rate, maxRate: config.maxRate, bucket, metrics, log });
  const throughput = new Throughput(metrics);
  const source = createGenerator(config);
  const builder = new BatchBuilder({
    source,
    encode: (event) => serde.encode(event),
    validate: config.validate,
    metrics,
    log,
  });
  const sender = new Sender({
    sendOnce: (messages) => producer.send({ topic: config.topic, acks: -1, compression, messages }),
    metrics,
    log,
  });
  const replicaKey = controlKeys(config.group).replica(config.replicaId);
  const reporter = new ReplicaReporter({
    replicaId: config.replicaId,
    maxRate: config.maxRate,
    startedAt: new Date(),
    view: () => ({
      rate: control.rate,
      paused: control.paused,
      actualRate: throughput.actualRate,
      events: throughput.totals.events,
      lastChange: control.lastChange,
    }),
    publish: (record) => publishControl(controlProducer, config.controlTopic, replicaKey, record),
    log,
  });
  const sendReport = async (state?: 'stopped'): Promise<void> => {
    if (config.control) await reporter.send(state);
  };

  let follower: ControlFollower | undefined;
  if (config.control) {
    await controlProducer.connect();
    follower = new ControlFollower(kafka, config.controlTopic, config.group, log);
    await follower.start((record, replay) => {
      if (record.kind === 'anomaly') {
        const injection = {
          store: record.store,
          factor: record.factor,
          from: Date.parse(record.from),
          until: Date.parse(record.until),
        };
        source.inject(injection);
        control.lastChange = `anomaly: ${record.store} ×${record.factor} for ${record.from}..${record.until} by ${record.actor}`;
        log.info('control: anomaly injected', { ...injection, actor: record.actor, replay });
        if (!replay) void sendReport();
        return;
      }
      if (!control.apply(record, replay)) return;
      waker.wake();
      if (!replay) void sendReport();
    });
  }

  const server: Server = await startProcessServer({
    port: config.metricsPort,
    registry: metrics.registry,
    ready: () => sender.healthy,
  });
  const metricsPort = (server.address() as AddressInfo).port;

  log.info('producer started', {
    seed: config.seed,
    rate: control.rate,
    paused: control.paused,
    cap: config.maxRate,
    topic: config.topic,
    schemaId,
    compression: config.compression,
    metricsPort,
    startTime: config.startTime,
  });
  await sendReport();

  const tick = setInterval(() => throughput.sample(), 1000);
  const reportTimer = setInterval(() => void sendReport(), REPORT_EVERY_MS);

  // Tokens accrued while connecting would be a burst at start.
  bucket.reset();
  const began = performance.now();
  let stopping = false;
  const loopDone = runSendLoop({
    count: config.count,
    batchSize: config.batchSize,
    lingerMs: config.lingerMs,
    deadline: config.durationMs === undefined ? Infinity : Date.now() + config.durationMs,
    state: {
      get rate() {
        return control.rate;
      },
      get paused() {
        return control.paused;
      },
      get stopping() {
        return stopping;
      },
    },
    bucket,
    sleep: (ms) => waker.sleep(ms),
    builder,
    send: (messages) => sender.send(messages),
    throughput,
    metrics,
  }).catch((err: unknown) => {
    log.error('producer loop failed', { err });
    throw err;
  });

  const summary = (): ProducerSummary => ({
    ...throughput.totals,
    seconds: (performance.now() - began) / 1000,
    seed: config.seed,
  });

  let closing: Promise<ProducerSummary> | undefined;
  const close = (): Promise<ProducerSummary> => {
    closing ??= (async () => {
      stopping = true;
      sender.giveUpAfter = Date.now() + (options.stopGraceMs ?? 30_000);
      waker.wake();
      await loopDone.catch(() => undefined);
      clearInterval(tick);
      clearInterval(reportTimer);
      const s = summary();
      log.info('producer stopped', { ...s });
      await sendReport('stopped');
      // A clean stop removes this replica's report (tombstone); a killed one shows as stale.
      if (config.control) await reporter.remove();
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
    status: () => ({
      rate: control.rate,
      paused: control.paused,
      events: throughput.totals.events,
      actualRate: throughput.actualRate,
    }),
    metricsPort,
    metrics,
  };
}
