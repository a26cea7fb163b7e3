/**
 * ensureTopics on a broker that has just started: CreateTopics succeeds but metadata answers
 * UNKNOWN_TOPIC_OR_PARTITION for a while (seen in CI as a processor failing at start-up).
 * The admin client is stubbed; the real broker path is covered by the integration tests.
 */
import type { Admin } from '../../../lib/kafka/index.js';
import { ensureTopics } from '../../../lib/kafka/index.js';
import { describe, expect, it } from 'vitest';

function stubAdmin(metadataFailures: number, createError?: { type: string }, offsetFailures = 0) {
  const topics = new Set<string>();
  const calls = { create: 0, metadata: 0, offsets: 0 };
  const admin = {
    listTopics: async () => [...topics],
    createTopics: async ({ topics: list }: { topics: { topic: string }[] }) => {
      calls.create++;
      if (createError) throw Object.assign(new Error(createError.type), createError);
      for (const t of list) topics.add(t.topic);
      return true;
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => {
      calls.metadata++;
      if (calls.metadata <= metadataFailures) {
        throw Object.assign(new Error('This server does not host this topic-partition'), {
          type: 'UNKNOWN_TOPIC_OR_PARTITION',
        });
      }
      return { topics: names.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })) };
    },
    fetchTopicOffsets: async () => {
      calls.offsets++;
      if (calls.offsets <= offsetFailures) {
        throw Object.assign(new Error('This server is not the leader for that topic-partition'), {
          type: 'NOT_LEADER_FOR_PARTITION',
        });
      }
      return [{ partition: 0, offset: '0', high: '0', low: '0' }];
    },
  };
  return { admin: admin as unknown as Admin, calls, topics };
}

describe('ensureTopics', () => {
  it('waits through UNKNOWN_TOPIC_OR_PARTITION after creating, and reports the topics it created', async () => {
    const { admin, calls } = stubAdmin(3);
    expect(await ensureTopics(admin, [{ topic: 't1', numPartitions: 3 }], 10_000)).toEqual(['t1']);
    expect(calls.create).toBe(1);
    expect(calls.metadata).toBe(4);
  });

  it('waits until the new leaders answer offset requests (NOT_LEADER_FOR_PARTITION right after creation)', async () => {
    const { admin, calls } = stubAdmin(0, undefined, 2);
    expect(await ensureTopics(admin, [{ topic: 't1', numPartitions: 1 }], 10_000)).toEqual(['t1']);
    expect(calls.offsets).toBe(3);
  });

  it('leaves existing topics alone', async () => {
    const { admin, calls, topics } = stubAdmin(0);
    topics.add('t1');
    expect(await ensureTopics(admin, [{ topic: 't1', numPartitions: 3 }])).toEqual([]);
    expect(calls.create).toBe(0);
  });

  it('gives up at once on an error no retry can fix, with the server code', async () => {
    const { admin } = stubAdmin(0, { type: 'INVALID_REPLICATION_FACTOR' });
    await expect(ensureTopics(admin, [{ topic: 't1', numPartitions: 3 }])).rejects.toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'INVALID_REPLICATION_FACTOR',
      retriable: false,
    });
  });

  it('gives up after its time limit when metadata never comes', async () => {
    const { admin } = stubAdmin(Infinity);
    await expect(ensureTopics(admin, [{ topic: 't1', numPartitions: 1 }], 300)).rejects.toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
  });
});
