/**
 * The three processors and how `processor <names>` becomes one topology: one consumer group on the
 * raw topic, one task per input partition, every selected operator inside each task. Top SKUs has
 * a second stage (merge.ts) that reads the partial sums the partition tasks write to an internal
 * topic. Names of groups, changelogs and internal topics derive from the operator set, so a
 * topology never reads the state of another one (docs/processors.md, "Upgrading").
 */
import type { SalesAnomaly } from '../lib/contracts/anomaly/schema.js';
import type { TopicSpec } from '../lib/contracts/topics.js';
import { EtlError } from '../lib/errors.js';
import { AnomalyLogic } from './anomalies/logic.js';
import type { AnomalyObserver, AnomalyOptions } from './anomalies/logic.js';
import { HourlyLogic } from './hourly/logic.js';
import { RollingLogic } from './rolling/logic.js';
import type { ProcessorConfig } from './runtime/config.js';
import type { ProcessorLogic } from './runtime/types.js';
import { TopSkusPartialLogic } from './top-skus/partial.js';

export const PROCESSOR_NAMES = ['hourly', 'top-skus', 'rolling', 'anomalies'] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

/**
 * The operators whose set is named `all`. The anomalies operator was added later and leaves the
 * name alone, so adding it to a running `processor all` keeps its group, changelog and state
 * (its own history starts empty; docs/anomalies.md).
 */
const ALL_OF: readonly ProcessorName[] = ['hourly', 'top-skus', 'rolling'];

/** What the operators of a task need besides the config (the anomalies' encoder and metrics). */
export interface OperatorContext {
  partition: number;
  partialsTopic: string;
  mergePartitions: number;
  anomalies?: { encode: (a: SalesAnomaly) => Buffer; observe?: AnomalyObserver };
}

export interface Topology {
  /** `all` or the single processor's name: metrics label and name part. */
  name: string;
  operators: ProcessorName[];
  groupId: string;
  changelogTopic: string;
  /** Internal topic of top SKUs' partial sums, and the merge stage's group and changelog. */
  partialsTopic: string;
  mergeGroupId: string;
  mergeChangelogTopic: string;
}

export function topologyOf(names: ProcessorName[], cfg: ProcessorConfig): Topology {
  // The anomalies operator scores the hours hourly closes: it brings hourly along.
  const wanted = names.includes('anomalies') ? [...names, 'hourly' as const] : names;
  const operators = PROCESSOR_NAMES.filter((n) => wanted.includes(n));
  // `_`, not `+`: the name is part of topic names, where Kafka allows only [a-zA-Z0-9._-].
  const name = ALL_OF.every((n) => operators.includes(n)) ? 'all' : operators.join('_');
  const groupId = `${cfg.groupPrefix}-topology-${name}`;
  return {
    name,
    operators,
    groupId,
    changelogTopic: `${groupId}-changelog`,
    partialsTopic: `${groupId}-top-skus-partials`,
    mergeGroupId: `${groupId}-top-skus-merge`,
    mergeChangelogTopic: `${groupId}-top-skus-merge-changelog`,
  };
}

/** Topics a topology writes besides its changelogs (created at start-up when missing). */
export function outputTopics(t: Topology, cfg: ProcessorConfig): TopicSpec[] {
  const out: TopicSpec[] = [];
  if (t.operators.includes('hourly')) out.push({ topic: cfg.hourlyTopic, numPartitions: 6, compacted: true });
  if (t.operators.includes('rolling'))
    out.push({ topic: cfg.rollingTopic, numPartitions: 6, compacted: true });
  if (t.operators.includes('anomalies'))
    out.push({ topic: cfg.anomaliesTopic, numPartitions: 6, compacted: true });
  if (t.operators.includes('top-skus')) {
    out.push({ topic: cfg.topSkusTopic, numPartitions: 1, compacted: true });
    // Partials are consumed once by the merge; time retention keeps the topic bounded.
    out.push({
      topic: t.partialsTopic,
      numPartitions: cfg.mergePartitions,
      configEntries: { 'retention.ms': String(7 * 24 * 3_600_000) },
    });
  }
  return out;
}

/** Operators of one task: top SKUs' first stage derives its state from hourly's when both run. */
export function createOperators(
  names: readonly ProcessorName[],
  cfg: ProcessorConfig,
  ctx: OperatorContext,
): { name: ProcessorName; logic: ProcessorLogic }[] {
  const operators = names.map((name) => ({ name, logic: createLogic(name, cfg, ctx) }));
  const hourly = operators.find((o) => o.name === 'hourly')?.logic;
  const top = operators.find((o) => o.name === 'top-skus')?.logic;
  if (hourly instanceof HourlyLogic && top instanceof TopSkusPartialLogic) top.deriveFrom(hourly);
  const anomalies = operators.find((o) => o.name === 'anomalies')?.logic;
  if (hourly instanceof HourlyLogic && anomalies instanceof AnomalyLogic)
    hourly.onHourClosed((start, store, revenue, units) => anomalies.hourClosed(start, store, revenue, units));
  return operators;
}

export function createLogic(name: ProcessorName, cfg: ProcessorConfig, ctx: OperatorContext): ProcessorLogic {
  switch (name) {
    case 'hourly':
      return new HourlyLogic(cfg.hourlyTopic, cfg.allowedLatenessMs);
    case 'rolling':
      return new RollingLogic(cfg.rollingTopic, cfg.allowedLatenessMs);
    case 'top-skus':
      return new TopSkusPartialLogic(
        ctx.partialsTopic,
        ctx.mergePartitions,
        ctx.partition,
        cfg.allowedLatenessMs,
      );
    case 'anomalies':
      if (!ctx.anomalies) throw new Error('the anomalies operator needs an encoder (processors/app.ts)');
      return new AnomalyLogic(
        cfg.anomaliesTopic,
        ctx.anomalies.encode,
        anomalyOptions(cfg),
        ctx.anomalies.observe,
      );
  }
}

/** The scoring options of the config; refuses a minimum history the history can never reach. */
export function anomalyOptions(cfg: ProcessorConfig): AnomalyOptions {
  if (cfg.anomalyMinHistory > cfg.anomalyHistoryPoints)
    throw new EtlError(
      'CONFIG_INVALID',
      `processor: anomalyMinHistory (${cfg.anomalyMinHistory}) is above anomalyHistoryPoints (${cfg.anomalyHistoryPoints}): no hour would ever be scored`,
      { hint: 'lower PROCESSOR_ANOMALY_MIN_HISTORY or raise PROCESSOR_ANOMALY_HISTORY_POINTS' },
    );
  return {
    threshold: cfg.anomalyThreshold,
    minHistory: cfg.anomalyMinHistory,
    madFloorRatio: cfg.anomalyMadFloorRatio,
    points: cfg.anomalyHistoryPoints,
    seasonHours: cfg.anomalySeasonHours,
    allowedLatenessMs: cfg.allowedLatenessMs,
  };
}
