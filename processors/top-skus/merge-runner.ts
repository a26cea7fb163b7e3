/**
 * Runs top SKUs' second stage: a consumer group on the internal partials topic and one task per
 * partials partition (merge.ts), exactly once like the partition stage — per-task transactional
 * id `<merge group>-<partition>` (fence with an empty transaction, then read the changelog), state
 * and input position in the same transactions. Its input is small (per input partition: one record
 * per closed hour and a progress report), so every fetched batch is one transaction.
 */
import type { EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from '../../lib/kafka/index.js';
import type { Registry } from 'prom-client';
import { LATE_HEADERS } from '../../lib/contracts/late.js';
import type { Logger } from '../../lib/logger.js';
import type { Topology } from '../definitions.js';
import { readChangelog } from '../runtime/changelog.js';
import { StageConsumer, awaitWithHeartbeat } from '../runtime/consumer.js';
import type { ProcessorConfig } from '../runtime/config.js';
import { sendsOf } from '../runtime/messages.js';
import { processorMetrics, zeroMergeMetrics } from '../runtime/metrics.js';
import { zeroSeries } from '../../lib/metric-zero.js';
import type { ProcessorMetrics } from '../runtime/metrics.js';
import { commitTransaction, isFenced, openTaskProducer } from '../runtime/txn.js';
import { MergeState } from './merge.js';
import type { StageRecord } from './partial.js';

interface MergeTask {
  partition: number;
  producer: Producer;
  state: MergeState;
  checked: boolean;
}

export const MERGE_LABEL = 'top-skus-merge';
/**
 * Marks a late record of the merge stage: its value is the JSON partial sums of an hour already
 * emitted (top-skus/partial.ts PartialRecord), not an event.
 */
export const LATE_STAGE_HEADER = 'late.stage';

export class MergeRunner {
  private readonly metrics: ProcessorMetrics;
  private readonly stage: StageConsumer;
  private readonly tasks = new Map<number, MergeTask>();

  constructor(
    private readonly topology: Topology,
    private readonly cfg: ProcessorConfig,
    private readonly kafka: Kafka,
    private readonly inputPartitions: number,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.metrics = processorMetrics(registry);
    zeroMergeMetrics(this.metrics, MERGE_LABEL);
    for (const metric of [this.metrics.late, this.metrics.windowsOpen, this.metrics.windowsClosed])
      zeroSeries(metric, [{ processor: MERGE_LABEL }]);
    this.stage = new StageConsumer(kafka, cfg, logger);
  }

  ready(): boolean {
    return this.stage.ready();
  }

  /** What /readyz says while not ready (stack/start-progress.ts). */
  status(): string {
    return this.stage.ready() ? 'ready' : `joining consumer group ${this.topology.mergeGroupId}`;
  }

  /** Rejects when the consumer is given up for good (StageConsumer.failed). */
  get failed(): Promise<never> {
    return this.stage.failed;
  }

  async start(): Promise<void> {
    await this.stage.start({
      groupId: this.topology.mergeGroupId,
      topic: this.topology.partialsTopic,
      concurrency: 1,
      crashMessage: 'merge consumer crashed',
      onJoin: (assignment) => this.onAssignment(assignment),
      eachBatch: (payload) => this.onBatch(payload),
      onFiltered: (topic, partition, next) => this.coverFiltered(topic, partition, next),
    });
  }

  /**
   * Records of the partials topic that read_committed filters out — aborted transactions of a
   * killed partition stage, commit markers — hold nothing to merge, but the group's position must
   * move past them: else, once the input stops, the group shows a lag that never drains (seen in
   * the chaos run). No transaction of this stage is open here (each batch commits before the next
   * fetch), so a plain offset commit is safe; on a restart the task's changelog position may lag
   * it, and the seek in onBatch reads the filtered range again, which holds nothing.
   */
  private coverFiltered(topic: string, partition: number, next: number): void {
    this.stage.consumer
      ?.commitOffsets([{ topic, partition, offset: String(next) }])
      .catch((err: unknown) =>
        this.logger.warn('could not commit past filtered records', { partition, err }),
      );
  }

  /** Drops the tasks of partials partitions this instance no longer owns. */
  private onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(assignment[this.topology.partialsTopic] ?? []);
    for (const [p, task] of this.tasks) {
      if (owned.has(p)) continue;
      this.tasks.delete(p);
      void task.producer.disconnect().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    await this.stage.disconnect();
    for (const task of this.tasks.values()) await task.producer.disconnect().catch(() => undefined);
    this.tasks.clear();
  }

  private async openTask(partition: number): Promise<MergeTask> {
    const started = performance.now();
    const producer = await openTaskProducer(
      this.kafka,
      `${this.topology.mergeGroupId}-${partition}`,
      this.cfg.transactionTimeoutMs,
    );
    const read = await (async () => {
      try {
        return await readChangelog(this.kafka, this.topology.mergeChangelogTopic, partition, {
          stallTimeoutMs: this.cfg.restoreStallTimeoutMs,
          onRetry: (err, attempt) => {
            this.metrics.restoreRetries.inc({ processor: MERGE_LABEL });
            this.logger.warn('merge changelog read failed; retrying from where it was', {
              task: partition,
              attempt,
              err,
            });
          },
        });
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
    })();
    const state = new MergeState(this.cfg.topSkusTopic, this.inputPartitions, this.cfg.topN);
    const text = new Map<string, string>();
    for (const [k, v] of read.entries) text.set(k, v.toString('utf8'));
    state.restore(text);
    this.metrics.restoreSeconds.observe({ processor: MERGE_LABEL }, (performance.now() - started) / 1000);
    this.logger.info('merge task restored', { task: partition, records: read.records, next: state.next });
    const task: MergeTask = { partition, producer, state, checked: false };
    this.tasks.set(partition, task);
    return task;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    if (!isRunning() || isStale() || batch.messages.length === 0 || !this.stage.consumer) return;
    const p = batch.partition;
    const task = this.tasks.get(p) ?? (await awaitWithHeartbeat(this.openTask(p), heartbeat));
    const first = Number(batch.messages[0]?.offset);
    const position = task.state.next;
    if (!task.checked) {
      task.checked = true;
      if (position !== undefined && first !== position) {
        this.stage.consumer.seek({ topic: batch.topic, partition: p, offset: String(position) });
        return;
      }
    }
    const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const lastOffset = Number(last.offset);
    // Past the commit markers read_committed filtered after the last record (see runner.ts): the
    // partition stage's transactions end every partials partition with one, and kafkajs fetches
    // from past them next, so a position left at the last record never drains.
    const next = Math.max(lastOffset, Number(batch.lastOffset())) + 1;
    const from = position ?? first;
    if (lastOffset < from) {
      resolveOffset(last.offset);
      return;
    }
    const records: StageRecord[] = [];
    for (const m of batch.messages) {
      if (Number(m.offset) < from || !m.value) continue;
      records.push(JSON.parse(m.value.toString('utf8')) as StageRecord);
    }
    const outcome = task.state.apply(records, next);
    const late: Message[] = outcome.late.map((r) => ({
      key: new Date(r.h).toISOString(),
      value: JSON.stringify(r),
      headers: {
        'content-type': 'application/json',
        [LATE_HEADERS.processor]: 'top-skus',
        [LATE_STAGE_HEADER]: 'merge',
        [LATE_HEADERS.partition]: String(r.src),
        [LATE_HEADERS.windowClosedAt]: String(r.h),
      },
    }));
    const sends = sendsOf(outcome.outputs, [{ topic: this.cfg.lateTopic, messages: late }], {
      topic: this.topology.mergeChangelogTopic,
      partition: p,
      entries: outcome.changelog,
    });
    const started = performance.now();
    try {
      await commitTransaction(task.producer, sends, {
        groupId: this.topology.mergeGroupId,
        topic: batch.topic,
        partition: p,
        next,
      });
    } catch (err) {
      const fenced = isFenced(err);
      this.metrics.transactions.inc({ processor: MERGE_LABEL, result: fenced ? 'fenced' : 'aborted' });
      this.logger.warn('merge commit failed; restoring the task', { task: p, err });
      if (this.tasks.get(p) === task) this.tasks.delete(p);
      await task.producer.disconnect().catch(() => undefined);
      this.stage.consumer.seek({ topic: batch.topic, partition: p, offset: String(from) });
      return;
    }
    resolveOffset(last.offset);
    this.metrics.commitSeconds.observe({ processor: MERGE_LABEL }, (performance.now() - started) / 1000);
    this.metrics.transactions.inc({ processor: MERGE_LABEL, result: 'committed' });
    this.metrics.windowsClosed.inc({ processor: MERGE_LABEL }, outcome.windowsClosed);
    this.metrics.late.inc({ processor: MERGE_LABEL }, outcome.late.length);
    this.metrics.windowsOpen.set(
      { processor: MERGE_LABEL },
      [...this.tasks.values()].reduce((s, t) => s + t.state.openHours(), 0),
    );
    await heartbeat();
  }
}
