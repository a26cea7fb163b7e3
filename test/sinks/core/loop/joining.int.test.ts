/**
 * A sink started while a member of its group that was killed -9 still belongs to the group: until
 * the broker lets it in, its /readyz answers 503 `joining consumer group <group>` — what `make up`
 * and the supervisor wait on instead of killing it (stack/start-progress.ts) — then 200, and it
 * goes on where the dead member stopped: every event exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { freePort } from '../../../../stack/net.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import { waitUntil } from '../../core/contract.suite.js';
import { pgCounts } from '../../postgres/raw/pg-counts.js';
import { dropTopicsAndSchema } from '../../postgres/raw/process-setup.js';

const env = stackEnv();

describe('a sink joining a group a killed member still holds', () => {
  const topic = uniqueName('joining');
  const schema = uniqueName('joiningpg');
  const group = uniqueName('grp');
  afterAll(async () => {
    await dropTopicsAndSchema(env.DATABASE_URL, [topic], schema);
  });

  it('says it is joining until the broker lets it in, then is ready and exact', async () => {
    await createTopic(topic, 3);
    const events = makeEvents(20_000);
    const expected = totals(events);
    await produce(topic, events.slice(0, 10_000));
    const base = {
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_GROUP_ID: group,
      // The dead member holds the group until its session ends: 15 s keeps the test short.
      SINK_POSTGRES_SESSION_TIMEOUT_MS: '15000',
    };
    const a = spawnSink(['postgres'], { ...base, SINK_POSTGRES_METRICS_PORT: '0' });
    await a.waitForLog(/partitions assigned/, 60_000);
    a.child.kill('SIGKILL');
    await a.exited;

    const port = await freePort();
    const b = spawnSink(['postgres'], { ...base, SINK_POSTGRES_METRICS_PORT: String(port) });
    const statuses = new Set<string>();
    let ready = false;
    const deadline = Date.now() + 90_000;
    while (!ready && Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (res) {
        const body = (await res.json()) as { status: string };
        statuses.add(`${res.status} ${body.status}`);
        ready = res.status === 200;
      }
      await sleep(100);
    }
    expect(ready).toBe(true);
    expect([...statuses]).toContain(`503 joining consumer group ${group}`);

    await produce(topic, events.slice(10_000));
    await waitUntil(
      async () => (await pgCounts(env.DATABASE_URL, schema)).count >= expected.count,
      90_000,
      'all rows',
    );
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(await pgCounts(env.DATABASE_URL, schema)).toEqual({ ...expected, distinct: expected.count });
  }, 240_000);
});
