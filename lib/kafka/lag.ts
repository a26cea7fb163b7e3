/**
 * Consumer lag per group/topic/partition, in messages and in seconds, as Prometheus gauges.
 * Messages: high watermark − committed offset. Seconds: the Kafka timestamp of the newest record
 * minus the timestamp of the record at the committed offset (0 when caught up) — how far behind
 * the group is in the topic's own clock, independent of the exporter's clock.
 *
 * kafkajs has no "read one record at offset N" API (no assign()), so the peek uses kafkajs' own
 * cluster and broker Fetch request through its internal createCluster (pinned kafkajs 2.2.x);
 * if those internals are missing, only the message lag is exported and a warning is logged.
 */
import type { Admin, Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface ConsumerLagOptions {
  kafka: Kafka;
  registry: Registry;
  /** Metric name prefix, e.g. `retail_sink_` → `retail_sink_consumer_lag_messages`. */
  prefix: string;
  groupId: string;
  topic: string;
  /** Constant labels added to every sample (e.g. `{ sink: 'postgres' }`). */
  labels?: Record<string, string>;
  intervalMs?: number;
  logger?: Logger;
}

export interface PartitionLag {
  partition: number;
  committed: number | undefined;
  highWatermark: number;
  messages: number;
  seconds: number | undefined;
}

interface PeekBroker {
  fetch(request: unknown): Promise<{
    responses: { partitions: { partition: number; messages: { offset: string; timestamp: string }[] }[] }[];
  }>;
}
interface PeekCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<PeekBroker>;
}

function internalCluster(kafka: Kafka): PeekCluster | undefined {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof create !== 'function') return undefined;
  return (create as (o: object) => PeekCluster)({ metadataMaxAge: 60_000, allowAutoTopicCreation: false });
}

export class ConsumerLagExporter {
  private readonly admin: Admin;
  private readonly cluster: PeekCluster | undefined;
  private readonly messages: Gauge;
  private readonly seconds: Gauge;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private connected = false;

  constructor(private readonly options: ConsumerLagOptions) {
    this.admin = options.kafka.admin();
    this.cluster = internalCluster(options.kafka);
    const labelNames = [...Object.keys(options.labels ?? {}), 'group', 'topic', 'partition'];
    const get = (name: string, help: string): Gauge => {
      const existing = options.registry.getSingleMetric(name);
      return (
        (existing as Gauge | undefined) ??
        new Gauge({ name, help, labelNames, registers: [options.registry] })
      );
    };
    this.messages = get(
      `${options.prefix}consumer_lag_messages`,
      'Records between the group committed offset and the high watermark',
    );
    this.seconds = get(
      `${options.prefix}consumer_lag_seconds`,
      'Kafka timestamp of the newest record minus that of the record at the committed offset',
    );
  }

  async start(): Promise<void> {
    await this.admin.connect();
    if (this.cluster) {
      await this.cluster.connect();
      await this.cluster.addTargetTopic(this.options.topic);
    } else {
      this.options.logger?.warn('kafkajs internals not found: consumer lag in seconds is not exported');
    }
    this.connected = true;
    const every = this.options.intervalMs ?? 5000;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.update()
        .catch((err: unknown) => this.options.logger?.warn('consumer lag update failed', { err }))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  /** Measure now and set the gauges; also returned for callers (CLI, tests). */
  async update(): Promise<PartitionLag[]> {
    const { groupId, topic } = this.options;
    const [high, committedList] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committed = new Map<number, number>();
    for (const p of committedList[0]?.partitions ?? []) {
      const c = Number(p.offset);
      if (c >= 0) committed.set(p.partition, c);
    }
    const out: PartitionLag[] = [];
    const toPeek: { partition: number; from: number; newest: number }[] = [];
    for (const h of high) {
      const hw = Number(h.high);
      const low = Number(h.low);
      const c = committed.get(h.partition);
      const start = c ?? low;
      const messages = Math.max(0, hw - start);
      out.push({ partition: h.partition, committed: c, highWatermark: hw, messages, seconds: 0 });
      if (messages > 0) toPeek.push({ partition: h.partition, from: start, newest: hw - 1 });
    }
    if (toPeek.length > 0) {
      const ts = await this.peekTimestamps(toPeek).catch((err: unknown) => {
        this.options.logger?.debug('lag peek failed', { err });
        return undefined;
      });
      for (const lag of out) {
        const peek = toPeek.find((p) => p.partition === lag.partition);
        if (!peek) continue;
        const a = ts?.get(`${lag.partition}:${peek.from}`);
        const b = ts?.get(`${lag.partition}:${peek.newest}`);
        lag.seconds = a !== undefined && b !== undefined ? Math.max(0, (b - a) / 1000) : undefined;
      }
    }
    const base = this.options.labels ?? {};
    for (const lag of out) {
      const labels = { ...base, group: groupId, topic, partition: String(lag.partition) };
      this.messages.set(labels, lag.messages);
      if (lag.seconds !== undefined) this.seconds.set(labels, lag.seconds);
    }
    return out;
  }

  /** Timestamps of the records at (or just after) the given offsets, keyed `partition:offset`. */
  private async peekTimestamps(
    wanted: { partition: number; from: number; newest: number }[],
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const cluster = this.cluster;
    if (!cluster) return out;
    const { topic } = this.options;
    await cluster.refreshMetadata();
    for (const field of ['from', 'newest'] as const) {
      const leaders = cluster.findLeaderForPartitions(
        topic,
        wanted.map((w) => w.partition),
      );
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const broker = await cluster.findBroker({ nodeId });
        const res = await broker.fetch({
          isolationLevel: 1,
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: 4 * 1024 * 1024,
          topics: [
            {
              topic,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: String(wanted.find((w) => w.partition === partition)?.[field] ?? 0),
                maxBytes: 256 * 1024,
              })),
            },
          ],
        });
        for (const p of res.responses[0]?.partitions ?? []) {
          const target = wanted.find((w) => w.partition === p.partition)?.[field];
          if (target === undefined) continue;
          // A fetch returns whole record batches: the first record at or after the target offset.
          const m = p.messages.find((msg) => Number(msg.offset) >= target);
          if (m) out.set(`${p.partition}:${target}`, Number(m.timestamp));
        }
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    if (this.connected) {
      await this.admin.disconnect().catch(() => undefined);
      await this.cluster?.disconnect().catch(() => undefined);
    }
    this.connected = false;
  }
}
