/**
 * The stack is real: a topic is created, 10,000 messages are produced and consumed by a consumer
 * group with committed offsets, a schema is registered and fetched back through the Confluent
 * API, a row round-trips through Postgres, Prometheus answers a query, and outside clients
 * (kcat, psql) work against the same servers.
 */
import { spawnSync } from 'node:child_process';
import { createQuietKafka, ensureTopics } from '../../lib/kafka/index.js';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';

const env = stackEnv();
const kafka = createQuietKafka(env.KAFKA_BROKERS.split(','), { clientId: 'stack-test' });
const admin = kafka.admin();
const cleanup: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await admin.disconnect();
});

describe('the native stack', () => {
  it('Kafka: 10,000 messages through a new topic, consumed by a group that commits its offsets', async () => {
    const topic = uniqueName('stack-topic');
    const groupId = uniqueName('stack-group');
    await admin.connect();
    expect(await ensureTopics(admin, [{ topic, numPartitions: 3 }])).toEqual([topic]);
    cleanup.push(() => admin.deleteTopics({ topics: [topic] }));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const total = 10_000;
    for (let start = 0; start < total; start += 1000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 1000 }, (_, i) => ({
          key: String((start + i) % 7),
          value: String(start + i),
        })),
      });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<number>();
    let sum = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${total} consumed`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const n = Number(message.value?.toString());
          if (!seen.has(n)) sum += n;
          seen.add(n);
          if (seen.size === total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.stop();
    await consumer.disconnect();
    cleanup.push(() => admin.deleteGroups([groupId]));

    expect(seen.size).toBe(total);
    expect(sum).toBe((total * (total - 1)) / 2);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed[0]!.partitions.reduce((acc, p) => acc + Number(p.offset), 0);
    expect(committedTotal).toBe(total);
  });

  it('Schema Registry: a schema registered through the Confluent API is fetched back by id', async () => {
    const subject = `${uniqueName('stack-subject')}-value`;
    const schema = JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'n', type: 'long' }] });
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const registered = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schema }),
    });
    expect(registered.status).toBe(200);
    const { id } = (await registered.json()) as { id: number };
    cleanup.push(() => fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${subject}`, { method: 'DELETE' }));
    const fetched = (await (await fetch(`${env.SCHEMA_REGISTRY_URL}/schemas/ids/${id}`)).json()) as {
      schema: string;
    };
    expect(JSON.parse(fetched.schema)).toEqual(JSON.parse(schema));
    const subjects = (await (await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[];
    expect(subjects).toContain(subject);
  });

  it('Postgres: a row round-trips through the application role', async () => {
    const table = uniqueName('stack_roundtrip');
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, at timestamptz, note text)`);
      const at = new Date('2026-01-02T03:04:05.678Z');
      await client.query(`INSERT INTO ${table} VALUES ($1, $2, $3)`, [1, at, 'héllo']);
      const { rows } = await client.query<{ id: number; at: Date; note: string }>(`SELECT * FROM ${table}`);
      expect(rows).toEqual([{ id: 1, at, note: 'héllo' }]);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  });

  it('Prometheus: ready, and scraping itself', async () => {
    expect((await fetch(`${env.PROMETHEUS_URL}/-/ready`)).status).toBe(200);
    let value: string | undefined;
    await waitUntil(
      async () => {
        const res = (await (
          await fetch(
            `${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`,
          )
        ).json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        value = res.data.result[0]?.value[1];
        return value === '1';
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(value).toBe('1');
  });

  it('outside clients: kcat produces and consumes, psql queries', async () => {
    const topic = uniqueName('stack-kcat');
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    cleanup.push(() => admin.deleteTopics({ topics: [topic] }));
    const broker = env.KAFKA_BROKERS.split(',')[0]!;
    const produce = spawnSync('kcat', ['-b', broker, '-t', topic, '-P'], {
      input: 'a\nb\nc\n',
      encoding: 'utf8',
    });
    expect(produce.status, produce.stderr).toBe(0);
    const consume = spawnSync('kcat', ['-b', broker, '-t', topic, '-C', '-e', '-q', '-o', 'beginning'], {
      encoding: 'utf8',
    });
    expect(consume.stdout.trim().split('\n')).toEqual(['a', 'b', 'c']);
    const psql = spawnSync('psql', [env.DATABASE_URL, '-Atc', 'SELECT 40 + 2'], { encoding: 'utf8' });
    expect(psql.stdout.trim()).toBe('42');
  });
});
