/**
 * What a spawned sink's log says about its consumer group: the topic-partitions of each
 * assignment and the ones it found fenced. Shared by the rebalance suites (raw and aggregates).
 * Each topic-partition is `topic#partition`.
 */
import type { SinkChild } from './sink-process.js';

const tp = (topic: string, partition: number) => `${topic}#${partition}`;

/** Topic-partitions of every "partitions assigned" line, in order. */
export function assignments(s: SinkChild): string[][] {
  return s.log
    .filter((l) => l.includes('"msg":"partitions assigned"'))
    .map((l) => {
      const e = JSON.parse(l) as { assignment?: Record<string, number[]> };
      return Object.entries(e.assignment ?? {}).flatMap(([topic, ps]) => ps.map((p) => tp(topic, p)));
    });
}

/** Topic-partitions named in "partition fenced" lines. */
export function fencedPartitions(s: SinkChild): string[] {
  return s.log
    .filter((l) => l.includes('"msg":"partition fenced'))
    .map((l) => {
      const e = JSON.parse(l) as { topic: string; partition: number };
      return tp(e.topic, e.partition);
    });
}
