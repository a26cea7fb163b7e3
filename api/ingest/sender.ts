/**
 * The ingest endpoint's way into Kafka: one transactional producer, connected in the background
 * (the server starts and answers /healthz even while Kafka is down; /readyz and POSTs say 503).
 *
 * Atomic per request: a request's events are written in one Kafka transaction, so a
 * `read_committed` consumer (every sink and processor) sees all of them or none — also when the
 * request spans partitions or the send fails half-way. Requests that arrive while a transaction is
 * in flight share the next one (group commit: one transaction per flush, not per request). The
 * transaction's messages are sent in chunks of at most `maxChunkBytes`, so no request is refused
 * for its size by the broker's record-batch limit. If a shared transaction fails, each of its
 * requests is retried alone in a transaction of its own before it is answered: no request's fate
 * is tied to another's. Under overload (more than `maxQueuedEvents` waiting) a request is refused at
 * once (429) instead of queueing without bound.
 *
 * The transactional id is stable for a server (host and port): a restarted server fences its
 * predecessor and aborts the transaction it left open at once, instead of making consumers wait
 * out the transaction timeout.
 *
 * A broker that refuses the principal (no ACL for the topic or the transactional id) is not "Kafka
 * still starting": the refusal is logged once, /readyz and every 503 name it (KAFKA_ERROR, the
 * broker's type, retriable: false) and the connection is tried again only every 5 s doubling to a
 * minute (lib/kafka/refusal.ts), so an operator's fix is picked up without a restart.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, KafkaResource, Message, Producer, KafkaRefused } from '../../lib/kafka/index.js';
import {
  COORDINATOR_TRANSACTION,
  coordinatorAnswer,
  KafkaConnectionState,
  refusalType,
  Partitioners,
  createKafka,
  ensureOwnTopics,
  waitOrAbort,
} from '../../lib/kafka/index.js';
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
  /** Events waiting for a transaction beyond which a request is refused (429). */
  maxQueuedEvents: number;
  /** Bytes of messages per produce request inside a transaction (below the broker's batch limit). */
  maxChunkBytes?: number;
  /** Defaults to `retail-ingest-<host>-<port>`: stable across restarts of one server. */
  transactionalId: string;
}

interface Pending {
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The broker's default max.message.bytes is 1 MiB per record batch; stay well below it. */
export const DEFAULT_MAX_CHUNK_BYTES = 512 * 1024;

/** Port 0 (any free port, tests) has no stable identity: a random id then. */
export function defaultTransactionalId(port: number): string {
  return `retail-ingest-${hostname()}-${port === 0 ? randomUUID() : port}`;
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

export class Overloaded extends EtlError {
  constructor(queued: number, limit: number) {
    super(
      'OVERLOADED',
      `${queued} events are already waiting for Kafka (limit ${limit}); nothing was written, retry later`,
      { retriable: true },
    );
  }
}

/** Split messages into runs of at most `maxBytes` (a single larger message is a run of its own). */
export function chunkByBytes(messages: Message[], sizes: number[], maxBytes: number): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  messages.forEach((m, i) => {
    const size = sizes[i] ?? 0;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  });
  if (current.length > 0) out.push(current);
  return out;
}

export class EventSender {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly serde: SaleEventSerde;
  private connected = false;
  private readonly closing = new AbortController();
  private readonly state: KafkaConnectionState;
  private queue: Pending[] = [];
  private queuedEvents = 0;
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
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      // An open transaction holds back read_committed consumers of its partitions: keep it short.
      transactionTimeout: Math.max(10_000, options.kafkaTimeoutMs * 2),
      createPartitioner: Partitioners.DefaultPartitioner,
      // After a commit the coordinator answers CONCURRENT_TRANSACTIONS until its markers are
      // written; retry that quickly instead of kafkajs' default 300 ms first backoff.
      retry: { retries: 5, initialRetryTime: 10, maxRetryTime: 1000 },
    });
    this.serde = new SaleEventSerde(createRegistry(options.registryUrl));
    this.state = new KafkaConnectionState(options.logger, 'ingest', {
      topic: options.topic,
      transactionalId: options.transactionalId,
    });
    this.connecting = this.connectLoop();
  }

  get ready(): boolean {
    return this.connected && this.state.refusal === undefined;
  }

  /** Why not ready: `kafka refused: … for principal …`, or the last connection error. */
  get reason(): string {
    return this.state.reason;
  }

  /** The broker's refusal of the last attempt or send, if it refused. */
  get refusal(): KafkaRefused | undefined {
    return this.state.refusal;
  }

  private async connectLoop(): Promise<void> {
    const own: TopicSpec[] = [
      DEFAULT_TOPIC_SPECS.find((s) => s.topic === this.options.topic) ?? {
        topic: this.options.topic,
        numPartitions: 6,
      },
    ];
    // The default topic: lay out the rest of the pipeline too, where the principal may.
    const layout = DEFAULT_TOPIC_SPECS.some((s) => s.topic === this.options.topic) ? DEFAULT_TOPIC_SPECS : [];
    const topic: KafkaResource = { kind: 'topic', name: this.options.topic };
    while (!this.closing.signal.aborted) {
      const admin = this.kafka.admin({ retry: { retries: 0 } });
      // What the step under way asks the broker for: a refusal names it.
      let resource = topic;
      let wait = 0;
      try {
        await admin.connect();
        await ensureOwnTopics(admin, own, layout);
        await this.serde.register();
        resource = { kind: 'transactional id', name: this.options.transactionalId };
        await this.producer.connect();
        // kafkajs registers the transactional id only at the first transaction: do it now, so a
        // refused id (an ACL) shows at start-up, not at the first POST, and a predecessor's open
        // transaction is fenced at once. No partition is added, so the abort sends nothing.
        await this.registerTransactionalId();
        this.connected = true;
        this.state.connected();
        this.options.logger.info('ingest connected to Kafka', {
          topic: this.options.topic,
          schemaId: this.serde.schemaId,
        });
        return;
      } catch (err) {
        wait = this.state.failed(err, resource);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await waitOrAbort(wait, this.closing.signal);
    }
  }

  /**
   * An empty transaction: kafkajs registers the id. A refused id surfaces from kafkajs as a bare
   * "Failed to find group coordinator" (its lookup swallows the broker's answer), so the broker is
   * asked directly why (lib/kafka/coordinator.ts) and its refusal thrown instead.
   */
  private async registerTransactionalId(): Promise<void> {
    try {
      await (await this.producer.transaction()).abort();
    } catch (err) {
      if (refusalType(err) !== undefined) throw err;
      const answer = await coordinatorAnswer(
        this.kafka,
        this.options.transactionalId,
        COORDINATOR_TRANSACTION,
      );
      throw refusalType(answer) !== undefined ? answer : err;
    }
  }

  /**
   * Write the events as one unit (one transaction); rejects with KafkaUnavailable (→ 503) when
   * Kafka fails, Overloaded (→ 429) when too much is already waiting.
   */
  send(events: SaleEvent[]): Promise<void> {
    if (!this.connected) {
      if (this.state.refusal) return Promise.reject(this.state.refusal);
      return Promise.reject(
        new KafkaUnavailable(`Kafka is not reachable (${this.state.reason}); nothing was written`),
      );
    }
    if (this.queuedEvents > 0 && this.queuedEvents + events.length > this.options.maxQueuedEvents)
      return Promise.reject(new Overloaded(this.queuedEvents, this.options.maxQueuedEvents));
    const messages = events.map((e) => ({ key: e.store_id, value: this.serde.encode(e) }));
    const bytes = messages.reduce((n, m) => n + messageBytes(m), 0);
    this.queuedEvents += events.length;
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, bytes, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.transaction(group);
        if (this.state.refusal) this.state.connected();
        for (const p of group) p.resolve();
      } catch (err) {
        if (group.length === 1) this.fail(group, err);
        else {
          // Retry each request alone: a failure caused by one request must not fail the others.
          this.options.logger.warn('shared ingest transaction failed; retrying its requests one by one', {
            err,
            requests: group.length,
          });
          for (const p of group) {
            try {
              await this.transaction([p]);
              if (this.state.refusal) this.state.connected();
              p.resolve();
            } catch (alone) {
              this.fail([p], alone);
            }
          }
        }
      } finally {
        for (const p of group) this.queuedEvents -= p.messages.length;
      }
    }
    this.inFlight = false;
  }

  private async transaction(group: Pending[]): Promise<void> {
    const messages = group.length === 1 ? (group[0] as Pending).messages : group.flatMap((p) => p.messages);
    const sizes = messages.map(messageBytes);
    const end = this.options.sendLatency.startTimer();
    const txn = await this.producer.transaction();
    try {
      for (const chunk of chunkByBytes(
        messages,
        sizes,
        this.options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES,
      ))
        await txn.send({ topic: this.options.topic, acks: -1, messages: chunk });
      await txn.commit();
      end();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  private fail(group: Pending[], err: unknown): void {
    // Connected, but the ACL forbids the write (e.g. DESCRIBE granted, WRITE not): a final answer.
    const refused = this.state.refuse(err, { kind: 'topic', name: this.options.topic });
    if (refused !== undefined) {
      this.state.logRefusal(refused);
      for (const p of group) p.reject(refused);
      return;
    }
    this.options.logger.warn('ingest send failed', { err, requests: group.length });
    const failure = new KafkaUnavailable(
      `Kafka did not commit the events: ${(err as Error).message}; nothing of this request is visible to read_committed consumers`,
      err,
    );
    for (const p of group) p.reject(failure);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.connecting;
    while (this.inFlight) await sleep(10);
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** A message's size on the wire, near enough for chunking: key + value + record overhead. */
function messageBytes(m: Message): number {
  const len = (v: Message['key'] | Message['value']) =>
    v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
  return len(m.key) + len(m.value) + 32;
}
