import { describe, expect, it } from 'vitest';
import type { Kafka } from '../../../lib/kafka/index.js';
import type { Logger } from '../../../lib/logger.js';
import type { ProcessorConfig } from '../../../processors/runtime/config.js';
import { StageConsumer } from '../../../processors/runtime/consumer.js';

type Handler = (e: { payload: Record<string, unknown> }) => void;

/** A kafkajs stand-in that records the config and calls, and lets the test fire events. */
function fakeKafka() {
  const seen = {
    config: {} as Record<string, unknown>,
    calls: [] as string[],
    run: {} as Record<string, unknown>,
  };
  const handlers = new Map<string, Handler>();
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, h: Handler) => void handlers.set(event, h),
    connect: async () => void seen.calls.push('connect'),
    subscribe: async (s: unknown) => void seen.calls.push(`subscribe ${JSON.stringify(s)}`),
    run: async (r: Record<string, unknown>) => {
      seen.calls.push('run');
      seen.run = r;
    },
    disconnect: async () => void seen.calls.push('disconnect'),
  };
  const kafka = {
    consumer: (c: Record<string, unknown>) => {
      seen.config = c;
      return consumer;
    },
  } as unknown as Kafka;
  const fire = (event: string, payload: Record<string, unknown>) => handlers.get(event)?.({ payload });
  return { kafka, seen, fire };
}

const errors: string[] = [];
const logger = { error: (msg: string) => void errors.push(msg) } as unknown as Logger;
const cfg = { fetchMaxWaitMs: 250 } as ProcessorConfig;

describe('StageConsumer', () => {
  it('reads committed data only, with manual offsets, from the beginning', async () => {
    const { kafka, seen } = fakeKafka();
    const stage = new StageConsumer(kafka, cfg, logger);
    await stage.start({
      groupId: 'g',
      topic: 't',
      concurrency: 3,
      fetch: { maxBytes: 2048 },
      crashMessage: 'x',
      onJoin: () => undefined,
      eachBatch: async () => undefined,
    });
    expect(seen.config).toEqual({
      groupId: 'g',
      readUncommitted: false,
      maxBytes: 2048,
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    expect(seen.calls).toEqual(['connect', 'subscribe {"topic":"t","fromBeginning":true}', 'run']);
    expect(seen.run).toMatchObject({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
    });
    await stage.disconnect();
    expect(seen.calls.at(-1)).toBe('disconnect');
  });

  it('is ready once joined, not after a crash kafkajs gives up on, again after a restarted one', async () => {
    const { kafka, fire } = fakeKafka();
    const stage = new StageConsumer(kafka, cfg, logger);
    const joins: Record<string, number[]>[] = [];
    await stage.start({
      groupId: 'g',
      topic: 't',
      concurrency: 1,
      crashMessage: 'stage crashed',
      onJoin: (a) => {
        // The stage counts as joined before its own handler runs.
        expect(stage.ready()).toBe(true);
        joins.push(a);
      },
      eachBatch: async () => undefined,
    });
    expect(stage.ready()).toBe(false);
    fire('join', { memberAssignment: { t: [0, 2] } });
    expect(joins).toEqual([{ t: [0, 2] }]);
    fire('crash', { error: new Error('boom'), restart: false });
    expect(stage.ready()).toBe(false);
    expect(errors.at(-1)).toBe('stage crashed');
    fire('crash', { error: new Error('boom'), restart: true });
    expect(stage.ready()).toBe(true);
  });
});

describe('StageConsumer.failed', () => {
  const spec = {
    groupId: 'retail-etl-processor-topology-all',
    topic: 'retail.sales.v1',
    concurrency: 1,
    crashMessage: 'consumer crashed',
    onJoin: () => undefined,
    eachBatch: async () => undefined,
  };
  const denied = Object.assign(new Error('Not authorized to access topics: [Topic authorization failed]'), {
    name: 'KafkaJSProtocolError',
    type: 'TOPIC_AUTHORIZATION_FAILED',
    retriable: false,
  });

  it('rejects with KAFKA_ERROR and the broker’s type when kafkajs gives the consumer up: the process exits', async () => {
    const { kafka, fire } = fakeKafka();
    const stage = new StageConsumer(kafka, cfg, logger);
    await stage.start(spec);
    fire('crash', { error: denied, restart: false });
    const err = await stage.failed.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
    expect((err as Error).message).toContain(
      'consumer crashed (group retail-etl-processor-topology-all, topic retail.sales.v1)',
    );
  });

  it('stays pending after a crash kafkajs restarts', async () => {
    const { kafka, fire } = fakeKafka();
    const stage = new StageConsumer(kafka, cfg, logger);
    await stage.start(spec);
    fire('crash', { error: new Error('connection lost'), restart: true });
    const settled = await Promise.race([
      stage.failed.then(
        () => 'settled',
        () => 'settled',
      ),
      new Promise((r) => setTimeout(r, 50, 'pending')),
    ]);
    expect(settled).toBe('pending');
  });
});
