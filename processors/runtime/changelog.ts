/**
 * Read one changelog partition from its start to its end, `read_committed`, keeping the latest
 * value per key. The end is the high watermark taken after the task's producer fenced every older
 * one, so no open transaction can sit before it.
 */
import type { Kafka } from '../../lib/kafka/index.js';
import { readToEnd } from '../../lib/kafka/index.js';

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
  await readToEnd(kafka, {
    topic,
    partitions: [partition],
    groupPrefix: `${topic}-restore`,
    consumer: {
      readUncommitted: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      retry: { retries: 5 },
    },
    timeoutMs,
    onBatch: async (_partition, messages) => {
      for (const m of messages) {
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
  return out;
}
