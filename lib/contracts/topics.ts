/** Topic names, shared by every stage, and how each is created. */
export const TOPICS = {
  sales: 'retail.sales.v1',
  dlq: 'retail.sales.dlq',
  late: 'retail.sales.late',
  salesHourly: 'retail.agg.sales-hourly.v1',
  topSkus: 'retail.agg.top-skus.v1',
  storeRolling: 'retail.agg.store-rolling-1h.v1',
  salesAnomalies: 'retail.agg.sales-anomalies.v1',
  control: 'retail.control',
} as const;

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  compacted?: boolean;
  configEntries?: Record<string, string>;
}

/** The default layout: one raw partition per core of a small machine, compacted aggregates and control. */
export const DEFAULT_TOPIC_SPECS: TopicSpec[] = [
  { topic: TOPICS.sales, numPartitions: 6 },
  { topic: TOPICS.dlq, numPartitions: 1 },
  { topic: TOPICS.late, numPartitions: 1 },
  { topic: TOPICS.salesHourly, numPartitions: 6, compacted: true },
  { topic: TOPICS.topSkus, numPartitions: 1, compacted: true },
  { topic: TOPICS.storeRolling, numPartitions: 6, compacted: true },
  { topic: TOPICS.salesAnomalies, numPartitions: 6, compacted: true },
  { topic: TOPICS.control, numPartitions: 1, compacted: true },
];
