/**
 * The producer process killed with SIGKILL mid-stream, and stopped with SIGTERM: what landed is
 * consistent. With a simulated clock the test regenerates the exact sequence, so it can demand
 * that each partition holds a prefix of it (no loss in the middle, no duplicate beyond the
 * generator's intentional ones), and after SIGTERM exactly what the producer reported.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { resolveProducerConfig } from '../../producer/config.js';
import { projectRoot } from '../../stack/paths.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { expectPrefixOfGenerated } from './sequence.js';
import { deleteTopics, readTopic, topicSize, until } from './kafka-helpers.js';

describe('producer process killed or stopped mid-stream', () => {
  const env = stackEnv();
  const kafka = createKafka('producer-kill-test');
  const topics: string[] = [];

  afterAll(async () => {
    await deleteTopics(kafka, topics);
  });

  function launch(topic: string, controlTopic: string, startTime: string) {
    const args = {
      rate: '5000',
      topic,
      controlTopic,
      seed: '777',
      startTime,
      duplicateShare: '0.01',
      metricsPort: '0',
    };
    const flags = Object.entries(args).flatMap(([k, v]) => [
      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      v,
    ]);
    const child = spawn(
      process.execPath,
      [join(projectRoot(), 'dist', 'cli', 'main.js'), 'producer', 'run', ...flags],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited, stdout: () => stdout, config: resolveProducerConfig(args, {}) };
  }

  it('kill -9: every partition holds a prefix of the generated sequence; only intentional duplicates', async () => {
    const topic = uniqueName('kill');
    const controlTopic = uniqueName('kill-control');
    topics.push(topic, controlTopic);
    const p = launch(topic, controlTopic, String(Date.now() - 600_000));
    expect(await until(async () => (await topicSize(kafka, topic)) > 15_000, 30_000, 100)).toBe(true);
    p.child.kill('SIGKILL');
    expect((await p.exited).signal).toBe('SIGKILL');
    const records = await readTopic(kafka, topic);
    expect(records.length).toBeGreaterThan(15_000);
    const { duplicates } = await expectPrefixOfGenerated(p.config, records, env.SCHEMA_REGISTRY_URL);
    expect(duplicates).toBeGreaterThan(0); // the generator's intentional re-sends are there…
    expect(duplicates).toBeLessThan(records.length * 0.02); // …and only at their configured share
  });

  it('SIGTERM flushes: exit 0, and the topic holds exactly the events the producer reported', async () => {
    const topic = uniqueName('term');
    const controlTopic = uniqueName('term-control');
    topics.push(topic, controlTopic);
    const p = launch(topic, controlTopic, String(Date.now() - 600_000));
    expect(await until(async () => (await topicSize(kafka, topic)) > 10_000, 30_000, 100)).toBe(true);
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(p.stdout().trim().split('\n').pop() ?? '{}') as {
      events: number;
      duplicates: number;
    };
    const records = await readTopic(kafka, topic);
    const { duplicates } = await expectPrefixOfGenerated(
      p.config,
      records,
      env.SCHEMA_REGISTRY_URL,
      summary.events,
    );
    expect(duplicates).toBe(summary.duplicates);
  });
});
