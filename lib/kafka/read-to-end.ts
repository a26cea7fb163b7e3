/**
 * Read a topic (or some of its partitions) from its start to the end it had when the read began:
 * the DLQ reader, a processor restoring its changelog, the producer's control state and tests all
 * need "everything written so far, then stop". kafkajs has no manual assignment, so a throwaway
 * consumer group subscribes and is deleted afterwards.
 *
 * A partition is done when a fetch covers offset end − 1. With transactions the last offsets can be
 * commit markers that no message carries, so progress also comes from kafkajs' END_BATCH_PROCESS
 * event, whose lastOffset counts those markers.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import { EtlError } from '../errors.js';
import { kafkaError } from './errors.js';

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** The ends captured at the start of a read, and which partitions have reached theirs. */
export class EndOffsets {
  private readonly pending = new Map<number, bigint>();
  private readonly ends = new Map<number, bigint>();

  /** Partitions with records (high > low); `only` restricts to those partitions. */
  constructor(offsets: readonly PartitionOffsets[], only?: readonly number[]) {
    for (const o of offsets) {
      if (only !== undefined && !only.includes(o.partition)) continue;
      const high = BigInt(o.high);
      if (high <= BigInt(o.low)) continue;
      this.ends.set(o.partition, high);
      this.pending.set(o.partition, high);
    }
  }

  get done(): boolean {
    return this.pending.size === 0;
  }

  /** Partitions this read covers (those that had records at the start). */
  partitions(): number[] {
    return [...this.ends.keys()];
  }

  /** Whether a record belongs to the read: a covered partition, before the captured end. */
  wants(partition: number, offset: string | bigint): boolean {
    const end = this.ends.get(partition);
    return end !== undefined && BigInt(offset) < end;
  }

  /** Whether a partition still has records to read. */
  isPending(partition: number): boolean {
    return this.pending.has(partition);
  }

  /** A fetch of `partition` covered offsets up to `lastOffset`; returns whether every partition is done. */
  reached(partition: number, lastOffset: string | bigint): boolean {
    const end = this.pending.get(partition);
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) this.pending.delete(partition);
    return this.done;
  }
}

/** The current ends of `topic` (or of `partitions` of it, each of which must exist). */
export async function fetchEnds(
  admin: Admin,
  topic: string,
  partitions?: readonly number[],
): Promise<EndOffsets> {
  const offsets = await admin.fetchTopicOffsets(topic);
  for (const p of partitions ?? []) {
    if (!offsets.some((o) => o.partition === p)) {
      throw new EtlError('KAFKA_ERROR', `topic ${topic} has no partition ${p}`);
    }
  }
  return new EndOffsets(offsets, partitions);
}

export interface ReadToEndOptions {
  topic: string;
  /** Only these partitions (default: all). */
  partitions?: readonly number[];
  /** Names the throwaway consumer group (`<groupPrefix>-<uuid>`), visible in the broker while it reads. */
  groupPrefix: string;
  /** Consumer settings (fetch sizes, isolation); the group id is the read's own. */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** Give up with TIMEOUT (retriable) after this long. */
  timeoutMs?: number;
  /** The records of one fetch of one partition, in offset order, none at or past the captured end. */
  onBatch: (partition: number, messages: KafkaMessage[]) => void | Promise<void>;
}

export async function readToEnd(kafka: Kafka, options: ReadToEndOptions): Promise<void> {
  const { topic, timeoutMs = 120_000 } = options;
  const admin = kafka.admin();
  const groupId = `${options.groupPrefix}-${randomUUID()}`;
  const consumer = kafka.consumer({ maxWaitTimeInMs: 200, ...options.consumer, groupId });
  let timer: NodeJS.Timeout | undefined;
  try {
    await admin.connect();
    const ends = await fetchEnds(admin, topic, options.partitions);
    if (ends.done) return;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new EtlError('TIMEOUT', `reading ${topic} did not reach its end within ${timeoutMs} ms`, {
              retriable: true,
            }),
          ),
        timeoutMs,
      );
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (ends.reached(e.payload.partition, e.payload.lastOffset)) resolve();
      });
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      const run = async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const { partition } = batch;
            if (!ends.isPending(partition)) {
              // Not part of this read, or already read to its end: stop fetching it.
              consumer.pause([{ topic, partitions: [partition] }]);
              return;
            }
            const messages = batch.messages.filter((m) => ends.wants(partition, m.offset));
            if (messages.length > 0) await options.onBatch(partition, messages);
            const last = batch.messages[batch.messages.length - 1]?.offset;
            if (last !== undefined && ends.reached(partition, last)) resolve();
          },
        });
      };
      run().catch(reject);
    });
  } catch (err) {
    throw kafkaError(`could not read ${topic}`, err);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
