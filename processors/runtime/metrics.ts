/** Metrics of every processor (prefix `retail_processor_`, label `processor`). */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { DLQ_REASONS } from '../../lib/contracts/dlq.js';
import { labelProduct, zeroSeries } from '../../lib/metric-zero.js';
import type { BatchOutcome, TaskState } from './task.js';

export interface ProcessorMetrics {
  records: Counter<'processor' | 'outcome'>;
  late: Counter<'processor'>;
  dlq: Counter<'processor' | 'reason'>;
  windowsOpen: Gauge<'processor'>;
  windowsClosed: Counter<'processor'>;
  watermarkLag: Gauge<'processor' | 'partition'>;
  stateKeys: Gauge<'processor' | 'kind'>;
  restoreSeconds: Histogram<'processor'>;
  restoredEvents: Counter<'processor'>;
  restoreProgress: Gauge<'processor' | 'partition'>;
  restoreRetries: Counter<'processor'>;
  stateBytes: Gauge<'processor' | 'partition' | 'kind'>;
  changelogRecords: Gauge<'processor' | 'partition'>;
  changelogBytes: Counter<'processor'>;
  commitSeconds: Histogram<'processor'>;
  transactions: Counter<'processor' | 'result'>;
}

const cache = new WeakMap<Registry, ProcessorMetrics>();

export function processorMetrics(registry: Registry): ProcessorMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: ProcessorMetrics = {
    records: new Counter({
      name: 'retail_processor_records_total',
      help: 'input records by outcome: accepted, duplicate, late, invalid',
      labelNames: ['processor', 'outcome'],
      registers,
    }),
    late: new Counter({
      name: 'retail_processor_late_records_total',
      help: 'records later than the allowed lateness, sent to the late topic',
      labelNames: ['processor'],
      registers,
    }),
    dlq: new Counter({
      name: 'retail_processor_dlq_records_total',
      help: 'records sent to the dead-letter topic, by reason',
      labelNames: ['processor', 'reason'],
      registers,
    }),
    windowsOpen: new Gauge({
      name: 'retail_processor_windows_open',
      help: 'windows holding state (hourly/top-skus: hours; rolling: stores with buckets)',
      labelNames: ['processor'],
      registers,
    }),
    windowsClosed: new Counter({
      name: 'retail_processor_windows_closed_total',
      help: 'windows closed and emitted final',
      labelNames: ['processor'],
      registers,
    }),
    watermarkLag: new Gauge({
      name: 'retail_processor_watermark_lag_seconds',
      help: 'wall clock minus the partition watermark',
      labelNames: ['processor', 'partition'],
      registers,
    }),
    stateKeys: new Gauge({
      name: 'retail_processor_state_keys',
      help: 'keys held in memory: kind=aggregate (window keys) or dedup (event ids)',
      labelNames: ['processor', 'kind'],
      registers,
    }),
    restoreSeconds: new Histogram({
      name: 'retail_processor_restore_seconds',
      help: 'time to restore a task from its changelog (fence + read + rebuild)',
      labelNames: ['processor'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    restoredEvents: new Counter({
      name: 'retail_processor_restored_events_total',
      help: 'state entries loaded from the changelog (aggregate keys, dedup chunks; events of a legacy changelog)',
      labelNames: ['processor'],
      registers,
    }),
    restoreProgress: new Gauge({
      name: 'retail_processor_restore_progress_ratio',
      help: 'share of its changelog partition a task has read while restoring (1 = restored)',
      labelNames: ['processor', 'partition'],
      registers,
    }),
    restoreRetries: new Counter({
      name: 'retail_processor_restore_retries_total',
      help: 'changelog reads retried (broker unavailable, leader moving, no progress)',
      labelNames: ['processor'],
      registers,
    }),
    stateBytes: new Gauge({
      name: 'retail_processor_state_bytes',
      help: "memory of a task's dedup horizon tables (kind=dedup), bytes",
      labelNames: ['processor', 'partition', 'kind'],
      registers,
    }),
    changelogRecords: new Gauge({
      name: 'retail_processor_changelog_records',
      help: "records in a task's changelog partition (end − start offset): what a restore reads now",
      labelNames: ['processor', 'partition'],
      registers,
    }),
    changelogBytes: new Counter({
      name: 'retail_processor_changelog_bytes_total',
      help: 'changelog bytes written (keys and values)',
      labelNames: ['processor'],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'retail_processor_transaction_commit_seconds',
      help: 'time from the first send of a batch to its transaction commit',
      labelNames: ['processor'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    transactions: new Counter({
      name: 'retail_processor_transactions_total',
      help: 'transactions by result: committed, aborted, fenced',
      labelNames: ['processor', 'result'],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}

/** Outcomes of an input record (`records_total{outcome}`) and results of a transaction. */
export const RECORD_OUTCOMES = ['accepted', 'duplicate', 'late', 'invalid'] as const;
export const TRANSACTION_RESULTS = ['committed', 'aborted', 'fenced'] as const;

/**
 * A task runner's series at 0 from its start (lib/metric-zero.ts): the `processor` label is the
 * topology's name for its transactions and restores, each operator's name for its records, DLQ,
 * late records and windows. Per-partition gauges appear when the partition is assigned.
 */
export function zeroProcessorMetrics(
  m: ProcessorMetrics,
  topology: { name: string; operators: readonly string[] },
): void {
  const ops = topology.operators;
  const own = [{ processor: topology.name }];
  zeroSeries(m.records, labelProduct({ processor: ops, outcome: RECORD_OUTCOMES }));
  zeroSeries(m.dlq, labelProduct({ processor: ops, reason: DLQ_REASONS }));
  zeroSeries(m.stateKeys, labelProduct({ processor: ops, kind: ['aggregate'] }));
  zeroSeries(m.stateKeys, [{ processor: topology.name, kind: 'dedup' }]);
  for (const metric of [m.late, m.windowsOpen, m.windowsClosed])
    zeroSeries(
      metric,
      ops.map((processor) => ({ processor })),
    );
  zeroMergeMetrics(m, topology.name);
  zeroSeries(m.restoredEvents, own);
  zeroSeries(m.changelogBytes, own);
}

/** The series a merge stage (one `processor` label, no operators of its own) shares with task runners. */
export function zeroMergeMetrics(m: ProcessorMetrics, processor: string): void {
  const own = [{ processor }];
  zeroSeries(m.transactions, labelProduct({ processor: [processor], result: TRANSACTION_RESULTS }));
  for (const metric of [m.restoreRetries, m.restoreSeconds, m.commitSeconds]) zeroSeries(metric, own);
}

/** Count what one processed batch did, per operator of the topology. */
export function countOutcome(m: ProcessorMetrics, operators: readonly string[], outcome: BatchOutcome): void {
  const lateBy = new Map<string, number>();
  for (const l of outcome.late) lateBy.set(l.operator, (lateBy.get(l.operator) ?? 0) + 1);
  for (const name of operators) {
    const late = lateBy.get(name) ?? 0;
    m.records.inc({ processor: name, outcome: 'accepted' }, outcome.acceptedBy.get(name) ?? 0);
    m.records.inc({ processor: name, outcome: 'duplicate' }, outcome.duplicates);
    m.records.inc({ processor: name, outcome: 'late' }, late);
    m.late.inc({ processor: name }, late);
    m.windowsClosed.inc({ processor: name }, outcome.windowsClosed.get(name) ?? 0);
  }
}

/** Windows, state keys and watermark lag of the tasks this instance owns. */
export function setTaskGauges(
  m: ProcessorMetrics,
  topology: { name: string; operators: readonly string[] },
  tasks: { partition: number; state: TaskState }[],
): void {
  const open = new Map<string, number>();
  const keys = new Map<string, number>();
  let dedup = 0;
  const now = Date.now();
  for (const task of tasks) {
    for (const op of task.state.operators) {
      open.set(op.name, (open.get(op.name) ?? 0) + op.logic.openWindows());
      keys.set(op.name, (keys.get(op.name) ?? 0) + op.logic.stateKeys());
    }
    dedup += task.state.dedupSize();
    m.stateBytes.set(
      { processor: topology.name, partition: String(task.partition), kind: 'dedup' },
      task.state.dedupBytes(),
    );
    const wm = task.state.partitionWatermark(task.partition);
    if (wm !== undefined)
      m.watermarkLag.set({ processor: topology.name, partition: String(task.partition) }, (now - wm) / 1000);
  }
  for (const name of topology.operators) {
    m.windowsOpen.set({ processor: name }, open.get(name) ?? 0);
    m.stateKeys.set({ processor: name, kind: 'aggregate' }, keys.get(name) ?? 0);
  }
  m.stateKeys.set({ processor: topology.name, kind: 'dedup' }, dedup);
}
