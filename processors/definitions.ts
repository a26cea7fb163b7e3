/**
 * The three processors and how `processor <names>` becomes one topology: one consumer group on the
 * raw topic, one task per input partition, every selected operator inside each task. Top SKUs has
 * a second stage (merge.ts) that reads the partial sums the partition tasks write to an internal
 * topic. Names of groups, changelogs and internal topics derive from the operator set, so a
 * topology never reads the state of another one (docs/processors.md, "Upgrading").
 */
import type { TopicSpec } from '../lib/contracts/topics.js';
import { HourlyLogic } from './hourly/logic.js';
import { RollingLogic } from './rolling/logic.js';
import type { ProcessorConfig } from './runtime/config.js';
import type { ProcessorLogic } from './runtime/types.js';
import { TopSkusPartialLogic } from './top-skus/partial.js';

export const PROCESSOR_NAMES = ['hourly', 'top-skus', 'rolling'] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

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
  const operators = PROCESSOR_NAMES.filter((n) => names.includes(n));
  const name = operators.length === PROCESSOR_NAMES.length ? 'all' : operators.join('+');
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
  ctx: { partition: number; partialsTopic: string; mergePartitions: number },
): { name: ProcessorName; logic: ProcessorLogic }[] {
  const operators = names.map((name) => ({ name, logic: createLogic(name, cfg, ctx) }));
  const hourly = operators.find((o) => o.name === 'hourly')?.logic;
  const top = operators.find((o) => o.name === 'top-skus')?.logic;
  if (hourly instanceof HourlyLogic && top instanceof TopSkusPartialLogic) top.deriveFrom(hourly);
  return operators;
}

export function createLogic(
  name: ProcessorName,
  cfg: ProcessorConfig,
  ctx: { partition: number; partialsTopic: string; mergePartitions: number },
): ProcessorLogic {
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
  }
}
