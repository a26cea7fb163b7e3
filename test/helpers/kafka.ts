/** Small Kafka helpers for integration tests: topic sizes and existence, deletion, reading a topic whole. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from '../../lib/kafka/index.js';
import { readToEnd } from '../../lib/kafka/index.js';

export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone });
  } finally {
    await admin.disconnect();
  }
}

export interface Landed {
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
}

/**
 * Every record of a topic, per partition in offset order. A broker that has just restarted answers
 * a group join with COORDINATOR_LOAD_IN_PROGRESS (retriable) while it loads its offsets topic, so a
 * retriable failure is tried again, from scratch, a few times.
 */
export async function readTopic(kafka: Kafka, topic: string): Promise<Landed[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readTopicOnce(kafka, topic);
    } catch (err) {
      if (attempt >= 5 || (err as { retriable?: boolean }).retriable !== true) throw err;
      await sleep(1000);
    }
  }
}

async function readTopicOnce(kafka: Kafka, topic: string): Promise<Landed[]> {
  const out: Landed[] = [];
  await readToEnd(kafka, {
    topic,
    groupPrefix: 'producer-test-read',
    consumer: { maxWaitTimeInMs: 200, maxBytes: 50 * 1024 * 1024 },
    onBatch: (partition, messages) => {
      for (const m of messages)
        out.push({
          partition,
          offset: Number(m.offset),
          key: m.key?.toString() ?? '',
          value: m.value as Buffer,
        });
    },
  });
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
