/**
 * Runs the partition stage of a topology: one consumer group on the raw topic and, per task (input
 * partition), a transactional producer. Each record is decoded and deduplicated once and fed to
 * every operator of the task. A task's transaction holds the aggregate updates, the late and dead
 * records, the changelog entries and the input offsets (`sendOffsets`) of everything processed
 * since its last commit; it is committed `commitIntervalMs` after the first uncommitted record or
 * earlier when the record/byte bound is reached (pending.ts), never when nothing changed.
 *
 * Zombie fencing. kafkajs 2.2.4 speaks only the classic group protocol and sends TxnOffsetCommit
 * without the group generation, so KIP-447 fencing (one producer per instance, fenced by group
 * metadata) is not available. We use the older scheme Kafka Streams used before KIP-447: the
 * transactional id belongs to the task, not to the instance — `<group>-<partition>`. Whoever takes
 * a task over initialises that id, which bumps its epoch: the previous owner's open transaction is
 * aborted and its next send or commit fails with INVALID_PRODUCER_EPOCH. Only then is the changelog
 * read, so no zombie can commit after the restore. Note: kafkajs' `producer.connect()` does not
 * initialise the transactional id (that happens at the first `transaction()`), so opening a task
 * begins and aborts an empty transaction on purpose (txn.ts).
 *
 * Offsets. With autoCommit off, kafkajs' resolveOffset only moves its fetch position; the group
 * offset is written by `sendOffsets` inside the task's transaction and nowhere else. When a
 * transaction fails the task is dropped and the partition is sought back to the last committed
 * position, where the restored state resumes.
 */
import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Message } from '../../lib/kafka/index.js';
import type { Registry } from 'prom-client';
import type { SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { Logger } from '../../lib/logger.js';
import type { Topology } from '../definitions.js';
import { StageConsumer, awaitWithHeartbeat } from './consumer.js';
import type { ProcessorConfig } from './config.js';
import { EventDecoder } from './decode.js';
import { deadMessage, lateMessage, sendsOf } from './messages.js';
import type { ProcessorMetrics } from './metrics.js';
import { countOutcome, processorMetrics, setTaskGauges, zeroProcessorMetrics } from './metrics.js';
import { newPendingCommit, openTask } from './open-task.js';
import type { OpenTaskDeps, Task } from './open-task.js';
import type { TaskRecord } from './task.js';
import { commitTransaction, isFenced } from './txn.js';

export class TopologyRunner {
  private readonly metrics: ProcessorMetrics;
  private readonly decoder: EventDecoder;
  private readonly stage: StageConsumer;
  private readonly tasks = new Map<number, Task>();
  private readonly opening = new Map<number, { promise: Promise<Task>; abort: AbortController }>();
  /** Share of its changelog each task being restored has read (0..1). */
  private readonly restoring = new Map<number, number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private sizeTimer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;

  constructor(
    readonly topology: Topology,
    private readonly cfg: ProcessorConfig,
    private readonly kafka: Kafka,
    serde: SaleEventSerde,
    registry: Registry,
    private readonly logger: Logger,
    private readonly mergePartitions: number,
    private readonly anomalies?: OpenTaskDeps['anomalies'],
  ) {
    this.metrics = processorMetrics(registry);
    zeroProcessorMetrics(this.metrics, topology);
    this.decoder = new EventDecoder(serde);
    this.stage = new StageConsumer(kafka, cfg, logger);
  }

  /** Joined, not crashed, and no task restoring. */
  ready(): boolean {
    return this.stage.ready() && this.restoring.size === 0;
  }

  /**
   * What /readyz says while not ready: `restoring 63 %` (mean over the tasks being restored), or
   * `joining consumer group <group>` before the first assignment (stack/start-progress.ts).
   */
  status(): string {
    if (this.restoring.size > 0) {
      let sum = 0;
      for (const r of this.restoring.values()) sum += r;
      return `restoring ${Math.floor((100 * sum) / this.restoring.size)} %`;
    }
    return this.stage.ready() ? 'ready' : `joining consumer group ${this.topology.groupId}`;
  }

  /** Rejects when the consumer is given up for good (StageConsumer.failed). */
  get failed(): Promise<never> {
    return this.stage.failed;
  }

  async start(): Promise<void> {
    await this.stage.start({
      groupId: this.topology.groupId,
      topic: this.cfg.inputTopic,
      concurrency: this.cfg.concurrency,
      fetch: {
        maxBytesPerPartition: this.cfg.maxBatchBytes,
        maxBytes: Math.max(this.cfg.maxBatchBytes * 4, 1024 * 1024),
      },
      crashMessage: 'consumer crashed',
      onJoin: (assignment) => this.onAssignment(assignment),
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.sizeTimer = setInterval(() => void this.measureChangelog(), this.cfg.lagIntervalMs);
    this.sizeTimer.unref();
    if (this.topology.operators.includes('top-skus')) {
      const every = Math.min(5_000, Math.max(100, Math.floor(this.cfg.idleTimeoutMs / 2)));
      this.idleTimer = setInterval(() => this.checkIdle(), every);
      this.idleTimer.unref();
    }
  }

  /** Records in each owned task's changelog partition: what a restore would read now. */
  private async measureChangelog(): Promise<void> {
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
      }
      const offsets = await this.admin.fetchTopicOffsets(this.topology.changelogTopic);
      for (const o of offsets) {
        if (!this.tasks.has(o.partition)) continue;
        this.metrics.changelogRecords.set(
          { processor: this.topology.name, partition: String(o.partition) },
          Number(o.high) - Number(o.low),
        );
      }
    } catch {
      // A broker restart: measured again at the next interval.
    }
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.sizeTimer) clearInterval(this.sizeTimer);
    await this.admin?.disconnect().catch(() => undefined);
    // Commit what is pending (before and after leaving the group, which waits for running
    // batches): a clean stop leaves nothing for the next owner to redo.
    for (const task of this.tasks.values()) await this.commit(task).catch(() => undefined);
    await this.stage.disconnect();
    for (const task of this.tasks.values()) await this.commit(task).catch(() => undefined);
    for (const task of this.tasks.values()) this.discard(task);
    for (const opening of this.opening.values()) opening.abort.abort();
    this.tasks.clear();
  }

  /**
   * Tasks this member no longer owns are dropped (their producers would be fenced anyway); the
   * tasks it owns now are all opened (fenced and restored) at once, in parallel, before their
   * first batch arrives.
   */
  private onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(assignment[this.cfg.inputTopic] ?? []);
    for (const [p, task] of this.tasks) if (!owned.has(p)) this.discard(task);
    for (const [p, opening] of this.opening) if (!owned.has(p)) opening.abort.abort();
    this.logger.info('assignment', { partitions: assignment[this.cfg.inputTopic] ?? [] });
    for (const p of owned) this.task(p).catch(() => undefined);
  }

  private discard(task: Task): void {
    task.dead = true;
    if (task.timer) clearTimeout(task.timer);
    if (this.tasks.get(task.partition) === task) this.tasks.delete(task.partition);
    void task.committing.finally(() => task.producer.disconnect().catch(() => undefined));
  }

  private task(partition: number): Promise<Task> {
    const existing = this.tasks.get(partition);
    if (existing) return Promise.resolve(existing);
    let opening = this.opening.get(partition);
    if (!opening) {
      const abort = new AbortController();
      const promise = this.openTask(partition, abort.signal).finally(() => {
        if (this.opening.get(partition)?.promise === promise) this.opening.delete(partition);
        this.restoring.delete(partition);
      });
      opening = { promise, abort };
      this.opening.set(partition, opening);
    }
    return opening.promise;
  }

  private async openTask(partition: number, signal: AbortSignal): Promise<Task> {
    this.restoring.set(partition, 0);
    const task = await openTask(partition, signal, {
      topology: this.topology,
      cfg: this.cfg,
      kafka: this.kafka,
      metrics: this.metrics,
      logger: this.logger,
      mergePartitions: this.mergePartitions,
      anomalies: this.anomalies,
      onProgress: (ratio) => this.restoring.set(partition, ratio),
    });
    this.tasks.set(partition, task);
    return task;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const consumer = this.stage.consumer;
    if (!consumer) return;
    const p = batch.partition;
    const task = await awaitWithHeartbeat(this.task(p), heartbeat);
    if (task.dead || isStale()) return;
    const firstOffset = Number(batch.messages[0]?.offset);
    const position = task.state.next.get(p);
    if (!task.checked) {
      task.checked = true;
      task.committedNext ??= firstOffset;
      // The consumer starts at the group's committed offset; the changelog is the truth.
      if (position !== undefined && firstOffset !== position) {
        this.logger.info('seeking to the restored position', {
          partition: p,
          from: firstOffset,
          to: position,
        });
        consumer.seek({ topic: batch.topic, partition: p, offset: String(position) });
        return;
      }
    }
    const lastMessage = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const lastOffset = Number(lastMessage.offset);
    // The batch's end includes what read_committed filtered after its last record (commit markers,
    // aborted records): the position must move past them, else a group whose input ends with a
    // transaction marker shows a lag that never drains (kafkajs fetches from past them next).
    const batchEnd = Math.max(lastOffset, Number(batch.lastOffset()));
    task.caughtUp = batchEnd + 1 >= Number(batch.highWatermark);
    if (lastOffset < (position ?? firstOffset)) {
      resolveOffset(lastMessage.offset);
      return;
    }
    await this.decoder.prepare(batch.messages.map((m) => m.value));
    if (task.dead || isStale()) return;
    this.process(task, batch.topic, batch.messages, batchEnd);
    // Moves kafkajs' fetch position only (autoCommit is off); the commit is the transaction's.
    resolveOffset(lastMessage.offset);
    if (task.pending.full()) await this.commit(task).catch(() => undefined);
    else this.schedule(task);
    await heartbeat();
  }

  private process(task: Task, topic: string, messages: KafkaMessage[], lastOffset: number): void {
    const p = task.partition;
    const ops = this.topology.operators;
    const records: TaskRecord[] = [];
    const byOffset = new Map<number, KafkaMessage>();
    const dead: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const offset = Number(m.offset);
      bytes += m.value?.length ?? 0;
      const acceptedAt = Number(m.timestamp);
      const d = this.decoder.decode(m.value, acceptedAt);
      if (d.ok) {
        records.push({ offset, event: d.event, acceptedAt });
        byOffset.set(offset, m);
      } else {
        for (const name of ops) {
          this.metrics.dlq.inc({ processor: name, reason: d.reason });
          this.metrics.records.inc({ processor: name, outcome: 'invalid' });
        }
        dead.push(deadMessage(m, topic, p, d.reason, d.detail, `processor-${this.topology.name}`));
      }
    }
    const outcome = task.state.processBatch(p, records, lastOffset);
    if (outcome.accepted + outcome.duplicates + outcome.late.length > 0) task.lastRecordAt = Date.now();
    const late = outcome.late.map((l) => lateMessage(byOffset.get(l.offset) as KafkaMessage, l, topic, p));
    task.pending.add(
      {
        outputs: outcome.outputs,
        late,
        dead,
        changelog: outcome.changelog,
        next: task.state.next.get(p),
        records: messages.length,
        bytes,
      },
      Date.now(),
    );
    countOutcome(this.metrics, this.topology.operators, outcome);
  }

  private schedule(task: Task): void {
    if (task.timer || task.dead) return;
    const due = task.pending.dueIn(Date.now());
    if (due === undefined) return;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      this.commit(task).catch(() => undefined);
    }, due);
  }

  /** Commit what the task has pending (after the running commit, if any). */
  private commit(task: Task): Promise<void> {
    const run = task.committing.then(() => this.commitNow(task));
    task.committing = run.catch(() => undefined);
    return run;
  }

  private async commitNow(task: Task): Promise<void> {
    if (task.dead || task.pending.isEmpty()) return;
    if (task.timer) clearTimeout(task.timer);
    task.timer = undefined;
    const pending = task.pending;
    task.pending = newPendingCommit(this.cfg);
    const name = this.topology.name;
    const sends = sendsOf(
      pending.outputs,
      [
        { topic: this.cfg.lateTopic, messages: pending.late },
        { topic: this.cfg.dlqTopic, messages: pending.dead },
      ],
      { topic: this.topology.changelogTopic, partition: task.partition, entries: pending.changelog },
    );
    let changelogBytes = 0;
    for (const c of pending.changelog) changelogBytes += c.key.length + (c.value?.length ?? 0);
    const started = performance.now();
    try {
      await commitTransaction(
        task.producer,
        sends,
        pending.next === undefined
          ? undefined
          : {
              groupId: this.topology.groupId,
              topic: this.cfg.inputTopic,
              partition: task.partition,
              next: pending.next,
            },
      );
    } catch (err) {
      const fenced = isFenced(err);
      this.metrics.transactions.inc({ processor: name, result: fenced ? 'fenced' : 'aborted' });
      this.logger.warn(
        fenced ? 'fenced: another instance owns this task now' : 'commit failed; restoring the task',
        {
          task: task.partition,
          err,
        },
      );
      // The in-memory state is ahead of the changelog: drop it and re-read from the last commit.
      this.discard(task);
      if (!fenced && task.committedNext !== undefined && this.stage.consumer) {
        this.stage.consumer.seek({
          topic: this.cfg.inputTopic,
          partition: task.partition,
          offset: String(task.committedNext),
        });
      }
      throw err;
    }
    if (pending.next !== undefined) task.committedNext = pending.next;
    this.metrics.commitSeconds.observe({ processor: name }, (performance.now() - started) / 1000);
    this.metrics.transactions.inc({ processor: name, result: 'committed' });
    this.metrics.changelogBytes.inc({ processor: name }, changelogBytes);
    setTaskGauges(this.metrics, this.topology, [...this.tasks.values()]);
    // What arrived while this transaction ran is due on its own schedule.
    this.schedule(task);
  }

  /** Idle partitions forward what their operators hold back (top SKUs' partial sums). */
  private checkIdle(): void {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (task.dead || !task.caughtUp || !task.pending.isEmpty()) continue;
      if (now - task.lastRecordAt < this.cfg.idleTimeoutMs) continue;
      const outcome = task.state.idle();
      if (!outcome) continue;
      this.logger.info('partition idle', { partition: task.partition, idleForMs: now - task.lastRecordAt });
      task.pending.add({ outputs: outcome.outputs, changelog: outcome.changelog }, now);
      this.commit(task).catch(() => undefined);
    }
  }
}
