/** Wait until a sink's consumer group has committed the end of every non-empty partition of `topics`: no partition stalled. */
import type { Kafka } from '../../../lib/kafka/index.js';
import { waitUntil } from './contract.suite.js';

export async function waitCommittedAtEnd(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  timeoutMs: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let seen = '';
    await waitUntil(
      async () => {
        const states = await Promise.all(
          topics.map(async (topic) => {
            const [ends, committed] = await Promise.all([
              admin.fetchTopicOffsets(topic),
              admin.fetchOffsets({ groupId, topics: [topic] }),
            ]);
            const at = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
            return { topic, ends: ends.map((e) => [e.partition, Number(e.high)] as const), at };
          }),
        );
        seen = JSON.stringify(states.map((s) => ({ ...s, at: [...s.at] })));
        // An empty partition has no committed offset (-1).
        return states.every((s) => s.ends.every(([p, high]) => high === 0 || s.at.get(p) === high));
      },
      timeoutMs,
      'the committed offsets at the end of every partition',
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${seen}`);
    });
  } finally {
    await admin.disconnect();
  }
}
