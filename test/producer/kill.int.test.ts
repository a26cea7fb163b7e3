/**
 * The producer process killed with SIGKILL mid-stream, and stopped with SIGTERM: what landed is
 * consistent. With a simulated clock the test regenerates the exact sequence, so it can demand
 * that each partition holds a prefix of it (no loss in the middle, no duplicate beyond the
 * generator's intentional ones), and after SIGTERM exactly what the producer reported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { resolveProducerConfig } from '../../producer/config.js';
import { startCli } from '../../stack/cli-process.js';
import { waitUntil } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { expectPrefixOfGenerated, expectTopicMatchesSummary } from './sequence.js';
import { deleteTopics, readTopic, topicSize } from '../helpers/kafka.js';

describe('producer process killed or stopped mid-stream', () => {
  const env = stackEnv();
  const kafka = createKafka('producer-kill-test');
  const topics: string[] = [];

  afterAll(async () => {
    await deleteTopics(kafka, topics);
  });

  /** Start a producer on fresh topics and wait until more than `landed` records are in Kafka. */
  async function launchAndWait(prefix: string, landed: number) {
    const topic = uniqueName(prefix);
    const controlTopic = uniqueName(`${prefix}-control`);
    topics.push(topic, controlTopic);
    const args = {
      rate: '5000',
      topic,
      controlTopic,
      seed: '777',
      startTime: String(Date.now() - 600_000),
      duplicateShare: '0.01',
      metricsPort: '0',
    };
    const flags = Object.entries(args).flatMap(([k, v]) => [
      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      v,
    ]);
    const proc = startCli(['producer', 'run', ...flags]);
    const ok = await waitUntil(async () => (await topicSize(kafka, topic)) > landed, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(ok).toBe(true);
    return { proc, topic, config: resolveProducerConfig(args, {}) };
  }

  it('kill -9: every partition holds a prefix of the generated sequence; only intentional duplicates', async () => {
    const { proc, topic, config } = await launchAndWait('kill', 15_000);
    proc.child.kill('SIGKILL');
    await proc.exited;
    expect(proc.child.signalCode).toBe('SIGKILL');
    const records = await readTopic(kafka, topic);
    expect(records.length).toBeGreaterThan(15_000);
    const { duplicates } = await expectPrefixOfGenerated(config, records, env.SCHEMA_REGISTRY_URL);
    expect(duplicates).toBeGreaterThan(0); // the generator's intentional re-sends are there…
    expect(duplicates).toBeLessThan(records.length * 0.02); // …and only at their configured share
  });

  it('SIGTERM flushes: exit 0, and the topic holds exactly the events the producer reported', async () => {
    const { proc, topic, config } = await launchAndWait('term', 10_000);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.child.signalCode).toBe(null);
    const summary = JSON.parse(proc.lines.filter((l) => l.startsWith('{"events"')).pop() ?? '{}') as {
      events: number;
      duplicates: number;
    };
    await expectTopicMatchesSummary(kafka, topic, config, env.SCHEMA_REGISTRY_URL, summary);
  });
});
