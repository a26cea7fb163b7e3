/**
 * Read one changelog partition from its start to its end, `read_committed`, keeping the latest
 * value per key. The end is the last stable offset taken after the task's producer fenced every
 * older one, so no open transaction of this task can sit before it. Read by assignment, not by a
 * consumer group (lib/kafka/partition-reader.ts): no group join, retried through broker restarts,
 * and bounded by progress instead of a fixed timeout.
 */
import type { Kafka } from '../../lib/kafka/index.js';
import { readPartition } from '../../lib/kafka/index.js';

export interface ChangelogRead {
  entries: Map<string, Buffer>;
  /** Records read (live and superseded: what compaction had not removed yet). */
  records: number;
  bytes: number;
}

export interface ChangelogReadOptions {
  stallTimeoutMs: number;
  /** Bytes per fetch (default 16 MB). */
  maxBytes?: number;
  /** Share of the partition's offsets read, 0..1. */
  onProgress?(ratio: number): void;
  onRetry?(err: unknown, attempt: number): void;
  signal?: AbortSignal;
}

export async function readChangelog(
  kafka: Kafka,
  topic: string,
  partition: number,
  options: ChangelogReadOptions,
): Promise<ChangelogRead> {
  const entries = new Map<string, Buffer>();
  const read = await readPartition(kafka, {
    topic,
    partition,
    stallTimeoutMs: options.stallTimeoutMs,
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    signal: options.signal,
    onRetry: options.onRetry,
    onProgress: (done, total) => options.onProgress?.(total === 0 ? 1 : done / total),
    onRecord: (r) => {
      const key = r.keyText();
      if (key === undefined) return;
      const value = r.value();
      if (value === null) entries.delete(key);
      else entries.set(key, value);
    },
  });
  return { entries, records: read.records, bytes: read.bytes };
}
