/**
 * The transactional producer of one task, and one transaction. See runner.ts for why the
 * transactional id belongs to the task and why opening it begins and aborts an empty transaction.
 */
import type { Kafka, Producer } from '../../lib/kafka/index.js';
import { Partitioners } from '../../lib/kafka/index.js';
import { SEND_CHUNK, chunked } from './messages.js';
import type { TopicSend } from './messages.js';

export async function openTaskProducer(
  kafka: Kafka,
  transactionalId: string,
  transactionTimeoutMs: number,
): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    createPartitioner: Partitioners.DefaultPartitioner,
    // After a commit the coordinator answers CONCURRENT_TRANSACTIONS until its markers are
    // written; retry that quickly instead of kafkajs' default 300 ms first backoff.
    retry: { initialRetryTime: 10, maxRetryTime: 500, retries: Number.MAX_SAFE_INTEGER },
  });
  await producer.connect();
  try {
    // initTransactions: fences the previous owner and aborts its open transaction.
    await (await producer.transaction()).abort();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  return producer;
}

/** Send everything and the input offset in one transaction; aborts (and rethrows) on failure. */
export async function commitTransaction(
  producer: Producer,
  sends: TopicSend[],
  offsets: { groupId: string; topic: string; partition: number; next: number } | undefined,
): Promise<void> {
  const txn = await producer.transaction();
  try {
    for (const chunk of chunked(sends, SEND_CHUNK)) await txn.sendBatch({ topicMessages: chunk, acks: -1 });
    if (offsets) {
      await txn.sendOffsets({
        consumerGroupId: offsets.groupId,
        topics: [
          {
            topic: offsets.topic,
            partitions: [{ partition: offsets.partition, offset: String(offsets.next) }],
          },
        ],
      });
    }
    await txn.commit();
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
}

export function isFenced(err: unknown): boolean {
  const type = (err as { type?: string }).type;
  return type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED';
}
