/**
 * "Read to the end it had when the read began", without a broker: EndOffsets on its own, and
 * readToEnd driving a scripted consumer whose fetches return what a broker would (records past the
 * captured end written meanwhile, transaction markers no message carries, other partitions).
 */
import { describe, expect, it } from 'vitest';
import type { Kafka, KafkaMessage } from '../../../lib/kafka/index.js';
import { EndOffsets, readToEnd } from '../../../lib/kafka/index.js';

describe('EndOffsets', () => {
  const offsets = [
    { partition: 0, low: '0', high: '3' },
    { partition: 1, low: '5', high: '5' }, // empty (compacted or deleted away)
    { partition: 2, low: '2', high: '10' },
  ];

  it('covers only partitions with records, and is done at once when there are none', () => {
    expect(new EndOffsets(offsets).partitions()).toEqual([0, 2]);
    expect(new EndOffsets([{ partition: 0, low: '7', high: '7' }]).done).toBe(true);
  });

  it('restricts to the partitions asked for', () => {
    expect(new EndOffsets(offsets, [2]).partitions()).toEqual([2]);
  });

  it('wants records before the captured end only', () => {
    const ends = new EndOffsets(offsets);
    expect(ends.wants(0, '2')).toBe(true);
    expect(ends.wants(0, '3')).toBe(false);
    expect(ends.wants(1, '5')).toBe(false);
    expect(ends.wants(9, '0')).toBe(false);
  });

  it('is done when every partition reached end − 1, in any order', () => {
    const ends = new EndOffsets(offsets);
    expect(ends.reached(2, '8')).toBe(false);
    expect(ends.reached(0, '2')).toBe(false);
    expect(ends.isPending(0)).toBe(false);
    expect(ends.reached(2, '9')).toBe(true);
  });

  it('accepts offsets beyond the end (a fetch that also returned newer records)', () => {
    const ends = new EndOffsets([{ partition: 0, low: '0', high: '3' }]);
    expect(ends.reached(0, '40')).toBe(true);
  });

  it('handles offsets beyond 2^53', () => {
    const big = '9007199254740993';
    const ends = new EndOffsets([{ partition: 0, low: '0', high: big }]);
    expect(ends.reached(0, '9007199254740991')).toBe(false);
    expect(ends.reached(0, '9007199254740992')).toBe(true);
  });
});

interface Fetch {
  partition: number;
  offsets: number[];
  /** What kafkajs' END_BATCH_PROCESS reports: can be past the last message (commit markers). */
  lastOffset?: number;
}

function scriptedKafka(ends: { partition: number; low: string; high: string }[], fetches: Fetch[]) {
  const seen = {
    deletedGroups: [] as string[],
    paused: [] as number[],
    connected: 0,
    disconnected: 0,
    groupId: '',
  };
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => ends.map((e) => ({ ...e, offset: e.high })),
      deleteGroups: async (g: string[]) => void seen.deletedGroups.push(...g),
    }),
    consumer: (cfg: { groupId: string }) => {
      seen.groupId = cfg.groupId;
      const listeners = new Map<string, (e: { payload: Record<string, unknown> }) => void>();
      return {
        events: { END_BATCH_PROCESS: 'end', CRASH: 'crash' },
        on: (name: string, fn: (e: { payload: Record<string, unknown> }) => void) => listeners.set(name, fn),
        connect: async () => void seen.connected++,
        subscribe: async () => undefined,
        pause: (list: { partitions: number[] }[]) => seen.paused.push(...list.flatMap((l) => l.partitions)),
        disconnect: async () => void seen.disconnected++,
        run: async ({ eachBatch }: { eachBatch: (p: unknown) => Promise<void> }) => {
          for (const f of fetches) {
            const messages = f.offsets.map(
              (o) =>
                ({ offset: String(o), key: Buffer.from(`k${o}`), value: null }) as unknown as KafkaMessage,
            );
            if (messages.length > 0) await eachBatch({ batch: { partition: f.partition, messages } });
            const last = f.lastOffset ?? f.offsets[f.offsets.length - 1];
            listeners.get('end')?.({ payload: { partition: f.partition, lastOffset: String(last) } });
          }
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, seen };
}

describe('readToEnd', () => {
  it('delivers every record before the captured end, none after, and cleans up its group', async () => {
    const { kafka, seen } = scriptedKafka(
      [
        { partition: 0, low: '0', high: '3' },
        { partition: 1, low: '0', high: '2' },
      ],
      [
        { partition: 0, offsets: [0, 1] },
        { partition: 1, offsets: [0, 1, 2, 3] }, // 2 and 3 were written after the read began
        { partition: 0, offsets: [2, 3] },
      ],
    );
    const got: string[] = [];
    await readToEnd(kafka, {
      topic: 't',
      groupPrefix: 'test-reader',
      onBatch: (p, ms) => void got.push(...ms.map((m) => `${p}:${m.offset}`)),
    });
    expect(got.sort()).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1']);
    expect(seen.groupId).toMatch(/^test-reader-[0-9a-f-]{36}$/);
    expect(seen.deletedGroups).toEqual([seen.groupId]);
    expect(seen.disconnected).toBe(1);
  });

  it('finishes on a commit marker that no message carries', async () => {
    // Offsets 0–1 are records, 2 is the transaction's commit marker: high is 3.
    const { kafka } = scriptedKafka(
      [{ partition: 0, low: '0', high: '3' }],
      [{ partition: 0, offsets: [0, 1], lastOffset: 2 }],
    );
    let n = 0;
    await readToEnd(kafka, { topic: 't', groupPrefix: 'g', onBatch: (_p, ms) => void (n += ms.length) });
    expect(n).toBe(2);
  });

  it('reads only the partitions asked for and pauses the others', async () => {
    const { kafka, seen } = scriptedKafka(
      [
        { partition: 0, low: '0', high: '1' },
        { partition: 1, low: '0', high: '1' },
      ],
      [
        { partition: 0, offsets: [0] },
        { partition: 1, offsets: [0] },
      ],
    );
    const got: number[] = [];
    await readToEnd(kafka, {
      topic: 't',
      groupPrefix: 'g',
      partitions: [1],
      onBatch: (p) => void got.push(p),
    });
    expect(got).toEqual([1]);
    expect(seen.paused).toEqual([0]);
  });

  it('does not start a consumer for a topic with no records', async () => {
    const { kafka, seen } = scriptedKafka([{ partition: 0, low: '4', high: '4' }], []);
    await readToEnd(kafka, {
      topic: 't',
      groupPrefix: 'g',
      onBatch: () => expect.fail('no records to read'),
    });
    expect(seen.connected).toBe(0);
  });

  it('fails with KAFKA_ERROR for a partition the topic does not have', async () => {
    const { kafka } = scriptedKafka([{ partition: 0, low: '0', high: '1' }], []);
    await expect(
      readToEnd(kafka, { topic: 't', groupPrefix: 'g', partitions: [3], onBatch: () => undefined }),
    ).rejects.toMatchObject({ code: 'KAFKA_ERROR', message: 'topic t has no partition 3' });
  });

  it('gives up with a retriable TIMEOUT when the end never comes', async () => {
    const { kafka, seen } = scriptedKafka(
      [{ partition: 0, low: '0', high: '5' }],
      [{ partition: 0, offsets: [0] }],
    );
    await expect(
      readToEnd(kafka, { topic: 't', groupPrefix: 'g', timeoutMs: 50, onBatch: () => undefined }),
    ).rejects.toMatchObject({ code: 'TIMEOUT', retriable: true });
    expect(seen.deletedGroups).toHaveLength(1);
  });
});
