/**
 * Opening a task of the partition stage: fence the task's transactional id, read its changelog
 * (assign, no group join; retried through broker restarts, progress reported), rebuild the
 * operators' state from it. Nothing reads the input partition before this has finished, so no
 * zombie can commit after the restore (runner.ts explains the fencing scheme).
 */
import type { Kafka, Producer } from '../../lib/kafka/index.js';
import type { Logger } from '../../lib/logger.js';
import { createOperators } from '../definitions.js';
import type { OperatorContext, Topology } from '../definitions.js';
import { readChangelog } from './changelog.js';
import type { ProcessorConfig } from './config.js';
import type { ProcessorMetrics } from './metrics.js';
import { PendingCommit } from './pending.js';
import { TaskState } from './task.js';
import { openTaskProducer } from './txn.js';

/** One input partition owned by this instance, with its operators' state and its producer. */
export interface Task {
  partition: number;
  producer: Producer;
  state: TaskState;
  pending: PendingCommit;
  /** Input position of the last commit (or restore): where to resume after a failure. */
  committedNext: number | undefined;
  /** The first batch after the restore was checked against the restored position. */
  checked: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The running commit; the next waits for it (one transaction at a time per producer). */
  committing: Promise<void>;
  dead: boolean;
  lastRecordAt: number;
  caughtUp: boolean;
}

export interface OpenTaskDeps {
  topology: Topology;
  cfg: ProcessorConfig;
  kafka: Kafka;
  metrics: ProcessorMetrics;
  logger: Logger;
  mergePartitions: number;
  /** The anomalies operator's encoder and metrics (when the topology has it). */
  anomalies?: OperatorContext['anomalies'];
  /** Share of the changelog read so far (0..1). */
  onProgress: (ratio: number) => void;
}

/** An empty transaction buffer sized by the configured commit interval and bounds. */
export function newPendingCommit(cfg: ProcessorConfig): PendingCommit {
  return new PendingCommit({
    intervalMs: cfg.commitIntervalMs,
    maxRecords: cfg.commitMaxRecords,
    maxBytes: cfg.commitMaxBytes,
  });
}

export async function openTask(partition: number, signal: AbortSignal, deps: OpenTaskDeps): Promise<Task> {
  const { topology, cfg, metrics, logger } = deps;
  const started = performance.now();
  const labels = { processor: topology.name, partition: String(partition) };
  metrics.restoreProgress.set(labels, 0);
  const producer = await openTaskProducer(
    deps.kafka,
    `${topology.groupId}-${partition}`,
    cfg.transactionTimeoutMs,
  );
  let read;
  try {
    read = await readChangelog(deps.kafka, topology.changelogTopic, partition, {
      stallTimeoutMs: cfg.restoreStallTimeoutMs,
      signal,
      onProgress: (ratio) => {
        deps.onProgress(ratio);
        metrics.restoreProgress.set(labels, ratio);
      },
      onRetry: (err, attempt) => {
        metrics.restoreRetries.inc({ processor: topology.name });
        logger.warn('changelog read failed; retrying from where it was', { task: partition, attempt, err });
      },
    });
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  const ctx: OperatorContext = {
    partition,
    partialsTopic: topology.partialsTopic,
    mergePartitions: deps.mergePartitions,
    anomalies: deps.anomalies,
  };
  const operators = createOperators(topology.operators, cfg, ctx);
  const state = new TaskState(operators, {
    partitions: [partition],
    outOfOrderMs: cfg.outOfOrderMs,
    dedupHorizonMs: cfg.dedupHorizonMs,
  });
  const loaded = await state.restore(read.entries);
  const seconds = (performance.now() - started) / 1000;
  metrics.restoreSeconds.observe({ processor: topology.name }, seconds);
  metrics.restoredEvents.inc({ processor: topology.name }, loaded);
  metrics.restoreProgress.set(labels, 1);
  logger.info('task restored', {
    task: partition,
    changelogRecords: read.records,
    changelogBytes: read.bytes,
    entries: loaded,
    dedupKeys: state.dedupSize(),
    dedupLoadedIn: state.dedupLoadedIn,
    seconds: Number(seconds.toFixed(3)),
    next: state.next.get(partition),
  });
  if (signal.aborted) {
    await producer.disconnect().catch(() => undefined);
    throw new Error(`task ${partition} was given away while it was restored`);
  }
  return {
    partition,
    producer,
    state,
    pending: newPendingCommit(cfg),
    committedNext: state.next.get(partition),
    checked: false,
    timer: undefined,
    committing: Promise.resolve(),
    dead: false,
    lastRecordAt: Date.now(),
    caughtUp: false,
  };
}
