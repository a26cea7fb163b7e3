/**
 * kill -9 of a real `retail-etl sink postgres` process — in the middle of a COPY, right after a
 * commit (before the Kafka commit), and at an arbitrary moment from outside — then a restart:
 * every event exactly once, sums exact, and SIGTERM exits 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../core/contract.suite.js';
import { pgCounts } from './pg-counts.js';
import { dropTopicsAndSchema } from './process-setup.js';

const env = stackEnv();

describe('postgres sink survives kill -9', () => {
  const topic = uniqueName('crash');
  const schema = uniqueName('crashpg');
  const group = uniqueName('grp');
  afterAll(async () => {
    await dropTopicsAndSchema(env.DATABASE_URL, [topic], schema);
  });

  it('mid-COPY, after commit, and from outside: count, distinct ids and sums exact', async () => {
    await createTopic(topic, 3);
    const events = makeEvents(120_000);
    const expected = totals(events);
    await produce(topic, events);
    const base = {
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_GROUP_ID: group,
      SINK_POSTGRES_METRICS_PORT: '0',
      SINK_POSTGRES_MAX_BATCH_ROWS: '10000',
      SINK_POSTGRES_SESSION_TIMEOUT_MS: '6000',
    };
    const counts = () => pgCounts(env.DATABASE_URL, schema);

    // 1. SIGKILL in the middle of the 2nd COPY (its first chunk sent): that transaction never commits.
    const a = spawnSink(['postgres'], { ...base, RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
    expect(await a.exited).toBeNull();
    expect(a.log.some((l) => l.includes('in the middle of write 2'))).toBe(true);
    const afterA = (await counts()).count;
    expect(afterA).toBeGreaterThan(0);
    expect(afterA).toBeLessThan(expected.count);

    // 2. SIGKILL right after the 2nd commit, before the Kafka offsets are committed.
    const b = spawnSink(['postgres'], { ...base, RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '2' });
    expect(await b.exited).toBeNull();
    const afterB = await counts();
    expect(afterB.count).toBeGreaterThan(afterA);
    expect(afterB.distinct).toBe(afterB.count);

    // 3. kill -9 from outside while it is writing.
    const c = spawnSink(['postgres'], base);
    await waitUntil(
      async () => (await counts()).count > afterB.count,
      60_000,
      'progress after restart',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${c.log.slice(-20).join('\n')}`);
    });
    c.child.kill('SIGKILL');
    await c.exited;

    // 4. Restart and drain; SIGTERM flushes, commits and exits 0.
    const d = spawnSink(['postgres'], base);
    await waitUntil(async () => (await counts()).count >= expected.count, 90_000, 'all rows');
    await new Promise((r) => setTimeout(r, 1000));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(await counts()).toEqual({ ...expected, distinct: expected.count });
  });
});
