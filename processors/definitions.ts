/**
 * The three processors: their window logic, how their work is split into tasks, and their output
 * topic. `partition` processors run one task per input partition (their keys contain the store,
 * and the raw topic is keyed by store); `single` processors compute a global result and run as one
 * task that owns every partition.
 */
import type { TopicSpec } from '../lib/contracts/topics.js';
import { HourlyLogic } from './hourly/logic.js';
import { RollingLogic } from './rolling/logic.js';
import type { ProcessorConfig } from './runtime/config.js';
import type { ProcessorLogic } from './runtime/types.js';
import { TopSkusLogic } from './top-skus/logic.js';

export const PROCESSOR_NAMES = ['hourly', 'top-skus', 'rolling'] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

export interface ProcessorDefinition {
  name: ProcessorName;
  mode: 'partition' | 'single';
  output(cfg: ProcessorConfig): TopicSpec;
  createLogic(cfg: ProcessorConfig): ProcessorLogic;
}

export const PROCESSORS: Record<ProcessorName, ProcessorDefinition> = {
  hourly: {
    name: 'hourly',
    mode: 'partition',
    output: (cfg) => ({ topic: cfg.hourlyTopic, numPartitions: 6, compacted: true }),
    createLogic: (cfg) => new HourlyLogic(cfg.hourlyTopic, cfg.allowedLatenessMs),
  },
  'top-skus': {
    name: 'top-skus',
    mode: 'single',
    output: (cfg) => ({ topic: cfg.topSkusTopic, numPartitions: 1, compacted: true }),
    createLogic: (cfg) => new TopSkusLogic(cfg.topSkusTopic, cfg.allowedLatenessMs, cfg.topN),
  },
  rolling: {
    name: 'rolling',
    mode: 'partition',
    output: (cfg) => ({ topic: cfg.rollingTopic, numPartitions: 6, compacted: true }),
    createLogic: (cfg) => new RollingLogic(cfg.rollingTopic, cfg.allowedLatenessMs),
  },
};
