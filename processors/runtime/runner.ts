/**
 * Runs one processor: a consumer group on the raw topic and, per task, a transactional producer.
 * Every input batch is one Kafka transaction holding the aggregate updates, the late and dead
 * records, the changelog entries and the input offsets (`sendOffsets`).
 *
 * Zombie fencing. kafkajs 2.2.4 speaks only the classic group protocol and sends TxnOffsetCommit
 * without the group generation, so KIP-447 fencing (one producer per instance, fenced by group
 * metadata) is not available. We use the older scheme Kafka Streams used before KIP-447: the
 * transactional id belongs to the task, not to the instance — `<group>-<partition>` (or
 * `<group>-all` for a single-task processor). Whoever takes a task over initialises that id, which
 * bumps its epoch: the previous owner's open transaction is aborted and its next send or commit
 * fails with INVALID_PRODUCER_EPOCH. Only then is the changelog read, so no zombie can commit
 * after the restore. Note: kafkajs' `producer.connect()` does not initialise the transactional id
 * (that happens at the first `transaction()`), so opening a task begins and aborts an empty
 * transaction on purpose.
 */
import type {
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
} from '../../lib/kafka/index.js';
import { Partitioners, ensureTopics } from '../../lib/kafka/index.js';
import type { Registry } from 'prom-client';
import { deadLetterHeaders } from '../../lib/contracts/dlq.js';
import type { DlqReason } from '../../lib/contracts/dlq.js';
import { lateHeaders } from '../../lib/contracts/late.js';
import { EtlError } from '../../lib/errors.js';
import type { SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { Logger } from '../../lib/logger.js';
import type { ProcessorDefinition } from '../definitions.js';
import { singleTaskAssigner } from './assigner.js';
import { readChangelog } from './changelog.js';
import type { ProcessorConfig } from './config.js';
import { EventDecoder } from './decode.js';
import { processorMetrics } from './metrics.js';
import type { ProcessorMetrics } from './metrics.js';
import { TaskState } from './task.js';
import type { TaskRecord } from './task.js';

interface Task {
  id: string;
  producer: Producer;
  state: TaskState;
  changelogPartition: number;
  /** Partitions whose first batch after the restore was checked against the restored position. */
  checked: Set<number>;
}

/** Messages per produce call: keeps every request well under the broker's 1 MB record-batch limit. */
const SEND_CHUNK = 500;

export class ProcessorRunner {
  readonly groupId: string;
  readonly changelogTopic: string;
  private readonly metrics: ProcessorMetrics;
  private readonly decoder: EventDecoder;
  private consumer: Consumer | undefined;
  private readonly tasks = new Map<string, Task>();
  private inputPartitions: number[] = [];
  private joined = false;
  private crashed: Error | undefined;

  constructor(
    private readonly def: ProcessorDefinition,
    private readonly cfg: ProcessorConfig,
    private readonly kafka: Kafka,
    serde: SaleEventSerde,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.groupId = `${cfg.groupPrefix}-${def.name}`;
    this.changelogTopic = `${this.groupId}-changelog`;
    this.metrics = processorMetrics(registry);
    this.decoder = new EventDecoder(serde);
  }

  get name(): string {
    return this.def.name;
  }

  ready(): boolean {
    return this.joined && this.crashed === undefined;
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.cfg.inputTopic] }).catch((err: unknown) => {
        throw new EtlError(
          'KAFKA_ERROR',
          `input topic ${this.cfg.inputTopic} is not readable: ${(err as Error).message}`,
          {
            retriable: true,
            serverCode: (err as { type?: string }).type,
            hint: 'create the topics first (`retail-etl stack up` does) or check PROCESSOR_INPUT_TOPIC',
            cause: err,
          },
        );
      });
      this.inputPartitions = (meta.topics[0]?.partitions ?? [])
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      await ensureTopics(admin, [
        this.def.output(this.cfg),
        { topic: this.cfg.lateTopic, numPartitions: 1 },
        { topic: this.cfg.dlqTopic, numPartitions: 1 },
        {
          topic: this.changelogTopic,
          numPartitions: this.def.mode === 'partition' ? this.inputPartitions.length : 1,
          compacted: true,
          // A segment record holds up to segmentMaxEvents events; allow batches of a few of them.
          configEntries: { 'max.message.bytes': String(16 * 1024 * 1024) },
        },
      ]);
    } finally {
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      maxBytesPerPartition: this.cfg.maxBatchBytes,
      maxBytes: Math.max(this.cfg.maxBatchBytes * 4, 1024 * 1024),
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      ...(this.def.mode === 'single' ? { partitionAssigners: [singleTaskAssigner] } : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error;
      this.logger.error('consumer crashed', { err: e.payload.error, restart: e.payload.restart });
      if (e.payload.restart) this.crashed = undefined;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.cfg.inputTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.def.mode === 'partition' ? this.cfg.concurrency : 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    for (const task of this.tasks.values()) await task.producer.disconnect().catch(() => undefined);
    this.tasks.clear();
  }

  private taskIdOf(partition: number): string {
    return this.def.mode === 'partition' ? String(partition) : 'all';
  }

  /** Tasks this member no longer owns are dropped (their producers would be fenced anyway). */
  private onAssignment(assignment: Record<string, number[]>): void {
    this.joined = true;
    const owned = new Set((assignment[this.cfg.inputTopic] ?? []).map((p) => this.taskIdOf(p)));
    for (const [id, task] of this.tasks) {
      if (owned.has(id)) continue;
      this.tasks.delete(id);
      void task.producer.disconnect().catch(() => undefined);
    }
    this.logger.info('assignment', { partitions: assignment[this.cfg.inputTopic] ?? [] });
  }

  private async openTask(partition: number, heartbeat: () => Promise<void>): Promise<Task> {
    const id = this.taskIdOf(partition);
    const started = performance.now();
    const producer = this.kafka.producer({
      transactionalId: `${this.groupId}-${id}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.cfg.transactionTimeoutMs,
      createPartitioner: Partitioners.DefaultPartitioner,
      // After a commit the coordinator answers CONCURRENT_TRANSACTIONS until its markers are
      // written; retry that quickly instead of kafkajs' default 300 ms first backoff.
      retry: { initialRetryTime: 10, maxRetryTime: 500, retries: Number.MAX_SAFE_INTEGER },
    });
    await producer.connect();
    // initTransactions: fences the previous owner and aborts its open transaction.
    await (await producer.transaction()).abort();
    const changelogPartition = this.def.mode === 'partition' ? partition : 0;
    const read = await readChangelog(this.kafka, this.changelogTopic, changelogPartition, heartbeat);
    const partitions = this.def.mode === 'partition' ? [partition] : this.inputPartitions;
    const state = new TaskState(this.def.createLogic(this.cfg), {
      partitions,
      outOfOrderMs: this.cfg.outOfOrderMs,
      segmentMaxEvents: this.cfg.segmentMaxEvents,
    });
    const replayed = state.restore(read.entries);
    const seconds = (performance.now() - started) / 1000;
    this.metrics.restoreSeconds.observe({ processor: this.def.name }, seconds);
    this.metrics.restoredEvents.inc({ processor: this.def.name }, replayed);
    this.logger.info('task restored', {
      task: id,
      changelogRecords: read.records,
      events: replayed,
      seconds: Number(seconds.toFixed(3)),
      next: Object.fromEntries(state.next),
    });
    const task: Task = { id, producer, state, changelogPartition, checked: new Set() };
    this.tasks.set(id, task);
    return task;
  }

  private async dropTask(task: Task): Promise<void> {
    if (this.tasks.get(task.id) === task) this.tasks.delete(task.id);
    await task.producer.disconnect().catch(() => undefined);
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const consumer = this.consumer;
    if (!consumer) return;
    const p = batch.partition;
    const topic = batch.topic;
    const task = this.tasks.get(this.taskIdOf(p)) ?? (await this.openTask(p, heartbeat));
    const restoredNext = task.state.next.get(p);
    const firstOffset = Number(batch.messages[0]?.offset);
    if (!task.checked.has(p)) {
      task.checked.add(p);
      // The consumer starts at the group's committed offset; the changelog is the truth.
      if (restoredNext !== undefined && firstOffset !== restoredNext) {
        this.logger.info('seeking to the restored position', {
          partition: p,
          from: firstOffset,
          to: restoredNext,
        });
        consumer.seek({ topic, partition: p, offset: String(restoredNext) });
        return;
      }
    }
    const from = restoredNext ?? firstOffset;
    const lastMessage = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const lastOffset = Number(lastMessage.offset);
    if (lastOffset < from) {
      resolveOffset(lastMessage.offset);
      return;
    }
    try {
      await this.processAndCommit(task, topic, p, batch.messages, from, lastOffset);
      resolveOffset(lastMessage.offset);
    } catch (err) {
      const type = (err as { type?: string }).type;
      const fenced = type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED';
      this.metrics.transactions.inc({ processor: this.def.name, result: fenced ? 'fenced' : 'aborted' });
      this.logger.warn(
        fenced ? 'fenced: another instance owns this task now' : 'batch failed; restoring the task',
        {
          task: task.id,
          partition: p,
          err,
        },
      );
      // The in-memory state already holds this batch: drop it, re-read from the last commit.
      await this.dropTask(task);
      consumer.seek({ topic, partition: p, offset: String(from) });
      if (!fenced) await new Promise((r) => setTimeout(r, 1000));
      return;
    }
    // Outside the try: a rebalance reported here must reach kafkajs (it rejoins the group).
    await heartbeat();
  }

  private async processAndCommit(
    task: Task,
    topic: string,
    p: number,
    messages: KafkaMessage[],
    from: number,
    lastOffset: number,
  ): Promise<void> {
    const name = this.def.name;
    await this.decoder.prepare(messages.map((m) => m.value));
    const records: TaskRecord[] = [];
    const byOffset = new Map<number, KafkaMessage>();
    const dead: Message[] = [];
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < from) continue;
      const d = this.decoder.decode(m.value);
      if (d.ok) {
        records.push({ offset, event: d.event });
        byOffset.set(offset, m);
      } else {
        this.metrics.dlq.inc({ processor: name, reason: d.reason });
        this.metrics.records.inc({ processor: name, outcome: 'invalid' });
        dead.push({ key: m.key, value: m.value, headers: this.dlqHeaders(m, topic, p, d.reason, d.detail) });
      }
    }
    const outcome = task.state.processBatch(p, records, lastOffset);
    const late: Message[] = outcome.late.map((l) => {
      const m = byOffset.get(l.offset) as KafkaMessage;
      return {
        key: m.key,
        value: m.value,
        headers: lateHeaders(m.headers, { processor: name, topic, partition: p, ...l }),
      };
    });
    const sends: { topic: string; messages: Message[] }[] = [];
    const byTopic = new Map<string, Message[]>();
    for (const r of outcome.outputs) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value });
    }
    for (const [t, msgs] of byTopic) sends.push({ topic: t, messages: msgs });
    if (late.length > 0) sends.push({ topic: this.cfg.lateTopic, messages: late });
    if (dead.length > 0) sends.push({ topic: this.cfg.dlqTopic, messages: dead });
    sends.push({
      topic: this.changelogTopic,
      messages: outcome.changelog.map((c) => ({
        key: c.key,
        value: c.value,
        partition: task.changelogPartition,
      })),
    });

    const started = performance.now();
    const txn = await task.producer.transaction();
    try {
      for (const chunk of chunked(sends, SEND_CHUNK)) await txn.sendBatch({ topicMessages: chunk, acks: -1 });
      await txn.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [{ topic, partitions: [{ partition: p, offset: String(lastOffset + 1) }] }],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    this.metrics.commitSeconds.observe({ processor: name }, (performance.now() - started) / 1000);
    this.metrics.transactions.inc({ processor: name, result: 'committed' });
    this.metrics.records.inc({ processor: name, outcome: 'accepted' }, outcome.accepted);
    this.metrics.records.inc({ processor: name, outcome: 'duplicate' }, outcome.duplicates);
    this.metrics.records.inc({ processor: name, outcome: 'late' }, outcome.late.length);
    this.metrics.late.inc({ processor: name }, outcome.late.length);
    this.metrics.windowsClosed.inc({ processor: name }, outcome.windowsClosed);
    this.updateGauges();
  }

  private updateGauges(): void {
    const name = this.def.name;
    let open = 0;
    let keys = 0;
    let dedup = 0;
    const now = Date.now();
    for (const task of this.tasks.values()) {
      open += task.state.logic.openWindows();
      keys += task.state.logic.stateKeys();
      dedup += task.state.dedupSize();
      const parts = this.def.mode === 'partition' ? [Number(task.id)] : this.inputPartitions;
      for (const p of parts) {
        const wm = task.state.partitionWatermark(p);
        if (wm !== undefined)
          this.metrics.watermarkLag.set({ processor: name, partition: String(p) }, (now - wm) / 1000);
      }
    }
    this.metrics.windowsOpen.set({ processor: name }, open);
    this.metrics.stateKeys.set({ processor: name, kind: 'aggregate' }, keys);
    this.metrics.stateKeys.set({ processor: name, kind: 'dedup' }, dedup);
  }

  private dlqHeaders(
    m: KafkaMessage,
    topic: string,
    p: number,
    reason: DlqReason,
    detail: string,
  ): Message['headers'] {
    const letter = {
      topic,
      partition: p,
      offset: Number(m.offset),
      timestamp: Number(m.timestamp),
      key: m.key,
      value: m.value,
      headers: m.headers ?? {},
      reason,
      detail,
    };
    return deadLetterHeaders(letter, `processor-${this.def.name}`);
  }
}

/** Split topic sends into chunks of at most `size` messages, keeping order within each topic. */
function chunked(
  sends: { topic: string; messages: Message[] }[],
  size: number,
): { topic: string; messages: Message[] }[][] {
  const out: { topic: string; messages: Message[] }[][] = [];
  let current: { topic: string; messages: Message[] }[] = [];
  let count = 0;
  for (const s of sends) {
    for (let i = 0; i < s.messages.length;) {
      const take = Math.min(size - count, s.messages.length - i);
      current.push({ topic: s.topic, messages: s.messages.slice(i, i + take) });
      count += take;
      i += take;
      if (count >= size) {
        out.push(current);
        current = [];
        count = 0;
      }
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}
