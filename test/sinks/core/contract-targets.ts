/**
 * How the contract suite starts and builds each kind of sink: the raw sinks (one topic of sale
 * events, `startSinkProcess`) and the aggregate sinks (three topics, `startAggregatesProcess`).
 * Each target's test adds only its options and how to count its rows.
 */
import { aggregatesConfig } from '../../../sinks/aggregates/config.js';
import { createAggMetrics } from '../../../sinks/aggregates/metrics.js';
import { createAggTarget, startAggregatesProcess } from '../../../sinks/aggregates/run.js';
import type { AggRow } from '../../../sinks/aggregates/contract.js';
import type { SinkRow } from '../../../sinks/core/contract.js';
import { createSink, resolveSinkConfig, startSinkProcess } from '../../../sinks/raw/run.js';
import type { SinkKind } from '../../../sinks/raw/run.js';
import { Registry } from 'prom-client';
import { bareMetrics, CONTRACT_LOOP } from './contract.suite.js';
import type { SinkUnderTest } from './contract.suite.js';
import { hourlyRecords, saleEventRecords } from './contract-records.js';

type Parts<Row> = Pick<SinkUnderTest<Row>, 'name' | 'records' | 'topicCount' | 'start' | 'createSink'>;

export function rawSink(kind: SinkKind, targetOptions: () => Record<string, unknown>): Parts<SinkRow> {
  return {
    name: `raw ${kind}`,
    records: saleEventRecords,
    topicCount: 1,
    start: ([topic], groupId) =>
      startSinkProcess(kind, { ...targetOptions(), topic, groupId, ...CONTRACT_LOOP }),
    createSink(groupId) {
      const { target } = resolveSinkConfig(kind, targetOptions());
      const { metrics, logger } = bareMetrics();
      return createSink(kind, target, groupId, metrics, logger);
    },
  };
}

export function aggregateSink(
  target: 'postgres' | 'clickhouse',
  targetOptions: () => Record<string, unknown>,
): Parts<AggRow> {
  const options = (topics: string[], groupId: string) => ({
    ...targetOptions(),
    target,
    hourlyTopic: topics[0],
    topSkusTopic: topics[1],
    rollingTopic: topics[2],
    // A topic of its own (never the shared stack's), that the suite leaves empty.
    anomaliesTopic: `${topics[0]}.anomalies`,
    groupId,
  });
  return {
    name: `aggregates ${target}`,
    records: hourlyRecords,
    topicCount: 3,
    start: (topics, groupId) => startAggregatesProcess({ ...options(topics, groupId), ...CONTRACT_LOOP }),
    createSink: (groupId, topics) =>
      createAggTarget(aggregatesConfig(options(topics, groupId)), createAggMetrics(new Registry())),
  };
}
