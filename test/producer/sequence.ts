/**
 * The producer's sequence check: with a simulated clock the generator's output is a function of
 * the config, so a test can regenerate it and compare with what landed in Kafka.
 */
import { expect } from 'vitest';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { ProducerConfig } from '../../producer/config.js';
import { createGenerator } from '../../producer/batch.js';
import type { Kafka } from '../../lib/kafka/index.js';
import type { Landed } from '../helpers/kafka.js';
import { readTopic } from '../helpers/kafka.js';

/** Check the landed records against the regenerated sequence; returns the intentional duplicates seen. */
export async function expectPrefixOfGenerated(
  config: ProducerConfig,
  records: Landed[],
  registryUrl: string,
  exact?: number,
): Promise<{ duplicates: number; landed: number }> {
  const serde = new SaleEventSerde(createRegistry(registryUrl));
  const landedByPartition = new Map<number, string[]>();
  const partitionOfStore = new Map<string, number>();
  for (const r of records) {
    const e = await serde.decode(r.value);
    partitionOfStore.set(e.store_id, r.partition);
    const list = landedByPartition.get(r.partition) ?? [];
    list.push(e.event_id);
    landedByPartition.set(r.partition, list);
  }
  // Regenerate a little more than landed, then split it by the partition each store went to.
  const generator = createGenerator(config);
  const expectedByPartition = new Map<number, string[]>();
  const duplicateIds = new Set<string>();
  for (let i = 0; i < records.length + 20_000; i++) {
    const g = generator.next();
    const p = partitionOfStore.get(g.event.store_id);
    if (g.duplicate) duplicateIds.add(g.event.event_id);
    if (p === undefined) continue;
    const list = expectedByPartition.get(p) ?? [];
    list.push(g.event.event_id);
    expectedByPartition.set(p, list);
  }
  let duplicates = 0;
  for (const [p, landed] of landedByPartition) {
    const expected = expectedByPartition.get(p) ?? [];
    // Per partition, what landed is exactly the start of what was generated: nothing lost in the
    // middle, nothing written twice, nothing reordered.
    expect(landed).toEqual(expected.slice(0, landed.length));
    const seen = new Set<string>();
    for (const id of landed) {
      if (seen.has(id)) {
        expect(duplicateIds.has(id)).toBe(true);
        duplicates++;
      }
      seen.add(id);
    }
  }
  if (exact !== undefined) expect(records.length).toBe(exact);
  return { duplicates, landed: records.length };
}

/**
 * After a clean stop: the topic holds exactly the events the producer reported, each partition a
 * prefix of the generated sequence, and exactly the intentional duplicates it reported.
 */
export async function expectTopicMatchesSummary(
  kafka: Kafka,
  topic: string,
  config: ProducerConfig,
  registryUrl: string,
  summary: { events: number; duplicates: number },
): Promise<void> {
  const records = await readTopic(kafka, topic);
  const { duplicates } = await expectPrefixOfGenerated(config, records, registryUrl, summary.events);
  expect(duplicates).toBe(summary.duplicates);
}
