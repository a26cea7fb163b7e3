/**
 * Producer throughput: `retail-etl producer run` (generator + validator + Avro + idempotent kafkajs,
 * one process) into a topic with one partition per core, against Kafka's own
 * org.apache.kafka.tools.ProducerPerformance from the same jars, in the same run, sending records
 * of the same average size (acks=all, idempotence on, no compression, for both).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { createKafka } from '../lib/kafka/index.js';
import { kafkaClasspath } from '../stack/components/kafka.js';
import { requireJava } from '../stack/java.js';
import { stackPaths } from '../stack/paths.js';
import type { Benchmark, Figure } from './harness.js';
import { startCli } from '../stack/cli-process.js';

interface Summary {
  events: number;
  bytes: number;
  seconds: number;
}

async function runProducer(topic: string, count: number, compression: string): Promise<Summary> {
  const proc = startCli(
    [
      'producer',
      'run',
      '--topic',
      topic,
      '--control-topic',
      `${topic}-control`,
      '--count',
      String(count),
      '--rate',
      '1000000',
      '--max-rate',
      '1000000',
      '--seed',
      '1',
      '--compression',
      compression,
      '--metrics-port',
      '0',
    ],
    { logLevel: 'warn' },
  );
  const code = await proc.exited;
  if (code !== 0) throw new Error(`producer exited ${code}:\n${proc.tail()}`);
  const last = proc
    .tail()
    .split('\n')
    .filter((l) => l.startsWith('{"events"'))
    .pop();
  if (!last) throw new Error(`no summary printed:\n${proc.tail()}`);
  return JSON.parse(last) as Summary;
}

function kafkaTool(
  topic: string,
  records: number,
  size: number,
  brokers: string,
): { perSec: number; line: string } {
  const cp = kafkaClasspath({ paths: stackPaths(), secrets: {}, progress: () => undefined });
  const res = spawnSync(
    requireJava(),
    [
      '-Xmx512m',
      '-cp',
      cp,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(size),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
      'enable.idempotence=true',
      'compression.type=none',
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const line = (res.stdout ?? '')
    .split('\n')
    .filter((l) => /records sent/.test(l))
    .pop();
  const m = line ? /records sent, ([\d.]+) records\/sec/.exec(line) : null;
  if (!m || !line) throw new Error(`ProducerPerformance failed (${res.status}): ${res.stderr?.slice(-2000)}`);
  return { perSec: Number(m[1]), line: line.trim() };
}

const bench: Benchmark = {
  name: 'producer',
  title: 'Producer throughput vs Kafka ProducerPerformance (one partition per core)',
  async run(ctx) {
    const partitions = cpus().length;
    const count = ctx.quick ? 100_000 : 1_000_000;
    const kafka = createKafka('bench-producer');
    const admin = kafka.admin();
    await admin.connect();
    const base = `bench-producer-${randomUUID().slice(0, 8)}`;
    const topics = [`${base}-ours`, `${base}-gzip`, `${base}-kafka`];
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
    });
    try {
      ctx.log(`retail-etl producer: ${count} events, ${partitions} partitions, no compression`);
      const ours = await runProducer(topics[0] as string, count, 'none');
      const oursPerSec = ours.events / ours.seconds;
      const recordSize = Math.round(ours.bytes / ours.events);
      ctx.log(`  ${Math.round(oursPerSec)} events/s, ${recordSize} B/record`);
      ctx.log(`retail-etl producer: ${count / 2} events, gzip`);
      const gz = await runProducer(topics[1] as string, count / 2, 'gzip');
      const gzPerSec = gz.events / gz.seconds;
      ctx.log(`  ${Math.round(gzPerSec)} events/s`);
      ctx.log(`Kafka ProducerPerformance: ${count} records of ${recordSize} B`);
      const tool = kafkaTool(
        topics[2] as string,
        count,
        recordSize,
        ctx.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
      );
      ctx.log(`  ${tool.line}`);
      const figures: Figure[] = [
        {
          name: 'producer.events_per_s',
          value: oursPerSec,
          unit: 'events/s',
          ceiling: tool.perSec,
          ceilingName: 'Kafka ProducerPerformance',
          target: '≥ 0.5× ceiling',
          notes: `${count} events of ${recordSize} B (Avro + key), ${partitions} partitions, acks=all, idempotent, no compression; includes generation and validation`,
        },
        {
          name: 'producer.gzip_events_per_s',
          value: gzPerSec,
          unit: 'events/s',
          ceiling: oursPerSec,
          ceilingName: 'same producer, no compression',
          notes:
            'kafkajs built-in GZIP: compresses on the event loop, so it costs throughput on a local broker',
        },
      ];
      return figures;
    } finally {
      await admin
        .deleteTopics({ topics: [...topics, ...topics.map((t) => `${t}-control`)] })
        .catch(() => undefined);
      await admin.disconnect();
    }
  },
};

export default bench;
