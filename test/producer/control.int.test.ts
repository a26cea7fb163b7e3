/**
 * Run-time control end to end: a running producer replica, the real CLI publishing to a control
 * topic of this test's own, and the events that land in Kafka.
 */
import { waitUntil } from '../../stack/wait.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../../stack/cli-process.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { validateEvent } from '../../lib/contracts/event/validate.js';
import { createKafka } from '../../lib/kafka/index.js';
import { resolveProducerConfig } from '../../producer/config.js';
import type { ProducerHandle } from '../../producer/run.js';
import { startProducer } from '../../producer/run.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { deleteTopics, readTopic, topicExists, topicSize } from '../helpers/kafka.js';

describe('producer run-time control through the control topic', () => {
  const env = stackEnv();
  const topic = uniqueName('sales');
  const controlTopic = uniqueName('control');
  const kafka = createKafka('producer-control-test');
  const ctl = (...args: string[]) =>
    runCli(['producer', ...args, '--control-topic', controlTopic, '--actor', 'test-actor']);
  let producer: ProducerHandle;

  beforeAll(async () => {
    const config = resolveProducerConfig(
      { rate: 2000, topic, controlTopic, metricsPort: 0, seed: 99, replicaId: 'replica-a', maxRate: 20_000 },
      {},
    );
    producer = await startProducer(config);
  });

  afterAll(async () => {
    await producer.stop();
    await deleteTopics(kafka, [topic, controlTopic]);
  });

  it('producer rate N is applied within one second, audited, and reported', async () => {
    await waitUntil(async () => (await topicSize(kafka, topic)) > 0, { timeoutMs: 5000, intervalMs: 25 });
    const res = await ctl('rate', '500');
    const published = Date.now();
    expect(res.code).toBe(0);
    const audit = res.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['audit'] === true);
    expect(audit).toMatchObject({ actor: 'test-actor', action: 'rate 500', msg: 'audit: control action' });
    expect(typeof audit?.['time']).toBe('string');
    expect(await waitUntil(() => producer.status().rate === 500, { timeoutMs: 1000, intervalMs: 25 })).toBe(
      true,
    );
    expect(Date.now() - published).toBeLessThan(1000);
    const metrics = await (await fetch(`http://127.0.0.1:${producer.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^retail_producer_target_rate 500$/m);
    expect(metrics).toMatch(/^retail_producer_control_changes_total\{kind="rate",result="applied"\} 1$/m);
  });

  it('pause stops production within one second; resume restarts it', async () => {
    const res = await ctl('pause');
    expect(res.code).toBe(0);
    await sleep(1000);
    const paused = await topicSize(kafka, topic);
    expect(producer.status().paused).toBe(true);
    await sleep(2000);
    expect(await topicSize(kafka, topic)).toBe(paused);
    const metrics = await (await fetch(`http://127.0.0.1:${producer.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^retail_producer_paused 1$/m);

    expect((await ctl('resume')).code).toBe(0);
    expect(
      await waitUntil(async () => (await topicSize(kafka, topic)) > paused, {
        timeoutMs: 1500,
        intervalMs: 25,
      }),
    ).toBe(true);
    expect(producer.status().paused).toBe(false);
  });

  it('status shows the desired state and the replica’s report', async () => {
    await sleep(300);
    const res = await runCli(['producer', 'status', '--control-topic', controlTopic, '--json']);
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout) as {
      desired: { rate: { rate: number; actor: string }; paused: { paused: boolean } };
      replicas: { replica: string; rate: number; paused: boolean; stale: boolean; lastChange: string }[];
    };
    expect(status.desired.rate).toMatchObject({ rate: 500, actor: 'test-actor' });
    expect(status.desired.paused).toMatchObject({ paused: false });
    expect(status.replicas).toEqual([
      expect.objectContaining({ replica: 'replica-a', rate: 500, paused: false, stale: false }),
    ]);
    const text = await runCli(['producer', 'status', '--control-topic', controlTopic]);
    expect(text.stdout).toMatch(/desired rate: +500 events\/s \(set by test-actor/);
    expect(text.stdout).toMatch(/replica-a +live +running rate 500\/s/);
  });

  it('a rate above the cap is refused by the CLI with a clear message, and nothing is published', async () => {
    // The replica writes its report to the same topic every few seconds: count the other records.
    const published = async () =>
      (await readTopic(kafka, controlTopic)).filter((r) => !r.key.includes('/replica/')).length;
    const before = await published();
    const res = await ctl('rate', '60000');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'RATE_ABOVE_CAP: rate 60000 events/s is above the safety cap of 50000 events/s',
    );
    expect(await published()).toBe(before);
    for (const bad of ['-5', 'abc', '0']) {
      const r = await ctl('rate', bad);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/CONFIG_INVALID: producer: rate must be/);
    }
  });

  it('a replica with a lower cap refuses a rate the CLI allowed, keeps its rate and says so', async () => {
    const res = await runCli([
      'producer',
      'rate',
      '30000',
      '--control-topic',
      controlTopic,
      '--max-rate',
      '100000',
    ]);
    expect(res.code).toBe(0);
    await sleep(1000);
    expect(producer.status().rate).toBe(500);
    const status = JSON.parse(
      (await runCli(['producer', 'status', '--control-topic', controlTopic, '--json'])).stdout,
    ) as {
      replicas: { lastChange: string }[];
    };
    expect(status.replicas[0]?.lastChange).toMatch(/^refused rate 30000\/s .*outside 1\.\.20000/);
    // Put the desired state back within the cap for the next test.
    expect((await ctl('rate', '500')).code).toBe(0);
  });

  it('a consumer decodes every produced event through the registry, and each is valid', async () => {
    const records = await readTopic(kafka, topic);
    expect(records.length).toBeGreaterThan(1000);
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL));
    for (const r of records) {
      const e = await serde.decode(r.value);
      expect(r.key).toBe(e.store_id);
      expect(validateEvent(e, { now: Date.now() }).ok).toBe(true);
    }
  });

  it('bad CLI input is one line, a non-zero exit, and nothing reaches Kafka', async () => {
    const fresh = uniqueName('never');
    for (const args of [
      ['--rate', '-5'],
      ['--rate', 'abc'],
      ['--bogus-flag', '1'],
      ['--duration', 'forever'],
    ]) {
      const res = await runCli([
        'producer',
        'run',
        '--topic',
        fresh,
        '--control-topic',
        fresh,
        '--metrics-port',
        '0',
        ...args,
      ]);
      expect(res.code).not.toBe(0);
      const lines = res.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('('));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
    }
    expect(await topicExists(kafka, fresh)).toBe(false);
  });
});
