/**
 * The ingest endpoint's way into Kafka: one idempotent producer, connected in the background (the
 * server starts and answers /healthz even while Kafka is down; /readyz and POSTs say 503), and
 * group commit — requests that arrive while a send is in flight are sent together in the next one,
 * so concurrency does not queue one produce request per HTTP request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Message, Producer } from '../../lib/kafka/index.js';
import { Partitioners, createKafka, ensureTopics } from '../../lib/kafka/index.js';
import type { Histogram } from 'prom-client';
import { EtlError } from '../../lib/errors.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { Logger } from '../../lib/logger.js';
import type { TopicSpec } from '../../lib/contracts/topics.js';
import { DEFAULT_TOPIC_SPECS } from '../../lib/contracts/topics.js';

export interface SenderOptions {
  topic: string;
  kafkaTimeoutMs: number;
  logger: Logger;
  sendLatency: Histogram;
  /** Override the brokers of KAFKA_BROKERS (tests point one server at a dead address). */
  brokers?: string[];
  registryUrl?: string;
}

interface Pending {
  messages: Message[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class KafkaUnavailable extends EtlError {
  constructor(message: string, cause?: unknown) {
    super('KAFKA_UNAVAILABLE', message, {
      retriable: true,
      serverCode: (cause as { type?: string } | undefined)?.type,
      cause,
    });
  }
}

export class EventSender {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly serde: SaleEventSerde;
  private connected = false;
  private closed = false;
  private lastError = 'not connected yet';
  private queue: Pending[] = [];
  private inFlight = false;
  private readonly connecting: Promise<void>;

  constructor(private readonly options: SenderOptions) {
    this.kafka = createKafka('retail-ingest', {
      ...(options.brokers ? { brokers: options.brokers } : {}),
      connectionTimeout: options.kafkaTimeoutMs,
      requestTimeout: options.kafkaTimeoutMs,
      // Few, quick retries: a client waiting on a POST would rather get a 503 and retry itself.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.serde = new SaleEventSerde(createRegistry(options.registryUrl));
    this.connecting = this.connectLoop();
  }

  get ready(): boolean {
    return this.connected;
  }

  get reason(): string {
    return this.lastError;
  }

  private async connectLoop(): Promise<void> {
    const specs: TopicSpec[] = DEFAULT_TOPIC_SPECS.some((s) => s.topic === this.options.topic)
      ? DEFAULT_TOPIC_SPECS
      : [{ topic: this.options.topic, numPartitions: 6 }];
    let attempt = 0;
    while (!this.closed) {
      const admin = this.kafka.admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        await ensureTopics(admin, specs);
        await this.serde.register();
        await this.producer.connect();
        this.connected = true;
        this.options.logger.info('ingest connected to Kafka', {
          topic: this.options.topic,
          schemaId: this.serde.schemaId,
        });
        return;
      } catch (err) {
        this.lastError = (err as Error).message;
        if (attempt++ % 10 === 0)
          this.options.logger.warn('ingest cannot reach Kafka or the registry yet; retrying', { err });
        await sleep(1000);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  /** Write the events as one unit; rejects with KafkaUnavailable (→ 503) when Kafka fails. */
  send(events: SaleEvent[]): Promise<void> {
    if (!this.connected) {
      return Promise.reject(
        new KafkaUnavailable(`Kafka is not reachable (${this.lastError}); nothing was written`),
      );
    }
    const messages = events.map((e) => ({ key: e.store_id, value: this.serde.encode(e) }));
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const end = this.options.sendLatency.startTimer();
      try {
        await this.producer.send({
          topic: this.options.topic,
          acks: -1,
          messages: batch.length === 1 ? (batch[0] as Pending).messages : batch.flatMap((p) => p.messages),
        });
        end();
        for (const p of batch) p.resolve();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.options.logger.warn('ingest send failed', { err, requests: batch.length });
        const failure = new KafkaUnavailable(
          `Kafka did not acknowledge the events: ${(err as Error).message}`,
          err,
        );
        for (const p of batch) p.reject(failure);
      }
    }
    this.inFlight = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    while (this.inFlight) await sleep(10);
    await this.producer.disconnect().catch(() => undefined);
  }
}
