/**
 * Read one changelog partition from its start to its end, `read_committed`, keeping the latest
 * value per key. kafkajs has no manual assignment, so a throwaway consumer group subscribes, reads
 * only the wanted partition and is deleted afterwards. The end is the high watermark taken after
 * the task's producer fenced every older one, so no open transaction can sit before it; the end is
 * reached when a fetch (data or commit markers) covers offset high − 1.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from '../../lib/kafka/index.js';
import { EtlError } from '../../lib/errors.js';

export interface ChangelogRead {
  entries: Map<string, string>;
  records: number;
  bytes: number;
}

export async function readChangelog(
  kafka: Kafka,
  topic: string,
  partition: number,
  heartbeat: () => Promise<void>,
  timeoutMs = 120_000,
): Promise<ChangelogRead> {
  const entries = new Map<string, string>();
  const out: ChangelogRead = { entries, records: 0, bytes: 0 };
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${topic}-restore-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const po = offsets.find((o) => o.partition === partition);
    if (!po) throw new EtlError('KAFKA_ERROR', `changelog ${topic} has no partition ${partition}`);
    const high = Number(po.high);
    const low = Number(po.low);
    if (high <= low) return out;
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      retry: { retries: 5 },
    });
    let resolveDone!: () => void;
    let rejectDone!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    const check = (p: number, lastOffset: string) => {
      if (p === partition && Number(lastOffset) >= high - 1) resolveDone();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => check(e.payload.partition, e.payload.lastOffset));
    consumer.on(consumer.events.CRASH, (e) => rejectDone(e.payload.error));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) {
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            return;
          }
          for (const m of batch.messages) {
            const key = m.key?.toString('utf8');
            if (key === undefined) continue;
            out.records++;
            if (m.value === null) entries.delete(key);
            else {
              out.bytes += m.value.length;
              entries.set(key, m.value.toString('utf8'));
            }
          }
          await heartbeat();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise((_, rej) => {
          timer = setTimeout(
            () =>
              rej(
                new EtlError('TIMEOUT', `restoring ${topic}[${partition}] took over ${timeoutMs} ms`, {
                  retriable: true,
                }),
              ),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return out;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
