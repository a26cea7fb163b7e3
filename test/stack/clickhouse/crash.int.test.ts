/**
 * The native stack's ClickHouse killed (-9) under a running `retail-etl sink clickhouse`, twice,
 * and restarted on the same data directory: the sink retries its insert against the dead server
 * (connection refused/reset are retriable), and when it answers again every row is stored exactly
 * once — an insert that landed before the kill is recognised by its dedup token when it is sent
 * again. Counts, distinct ids and sums are checked against what was produced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../bench/lib/sale-events.js';
import { waitUntil } from '../../../stack/wait.js';
import { clickhouseClient } from '../../helpers/clickhouse.js';
import { uniqueName } from '../../helpers/env.js';
import { spawnSink } from '../../helpers/sink-process.js';
import type { SinkChild } from '../../helpers/sink-process.js';
import { ThrowawayClickhouse } from '../../helpers/throwaway-clickhouse.js';
import { chCounts } from '../../sinks/clickhouse/raw/ch-counts.js';

describe('clickhouse serve killed -9 mid-insert and restarted', () => {
  const topic = uniqueName('chkill');
  const group = uniqueName('grp');
  const database = uniqueName('chkill');
  let ch: ThrowawayClickhouse | undefined;
  let sink: SinkChild | undefined;
  afterAll(async () => {
    await sink?.stop(10_000);
    await ch?.remove();
    await deleteTopics([topic]);
  });

  async function stored(server: ThrowawayClickhouse) {
    const client = clickhouseClient(server.url);
    try {
      return await chCounts(client, database);
    } finally {
      await client.close();
    }
  }

  it('the sink retries, and counts, distinct ids and sums stay exact', async () => {
    const server = (ch = await ThrowawayClickhouse.create());
    await server.start();
    await createTopic(topic, 3);
    const events = makeEvents(40_000, { stores: 48 });
    const expected = totals(events);
    await produce(topic, events);
    const s = (sink = spawnSink(['clickhouse'], {
      CLICKHOUSE_URL: server.url,
      SINK_CLICKHOUSE_CHDB_PATH: '',
      SINK_CLICKHOUSE_DATABASE: database,
      SINK_CLICKHOUSE_TOPIC: topic,
      SINK_CLICKHOUSE_GROUP_ID: group,
      SINK_CLICKHOUSE_METRICS_PORT: '0',
      SINK_CLICKHOUSE_MAX_BATCH_ROWS: '2000',
      SINK_CLICKHOUSE_WRITE_RETRY_MAX_MS: '500',
      SINK_CLICKHOUSE_SESSION_TIMEOUT_MS: '6000',
    }));
    await s.waitForLog(/sink running/);

    // Two kills while inserts flow: each after more rows landed, none after the last.
    let seen = 0;
    for (let kill = 0; kill < 2; kill++) {
      const more = await waitUntil(
        async () => (await stored(server).catch(() => ({ count: 0 }))).count > seen,
        {
          timeoutMs: 120_000,
          intervalMs: 100,
        },
      );
      expect(more, s.tail()).toBe(true);
      await server.kill();
      await server.start();
      seen = (await stored(server)).count;
      expect(seen).toBeLessThan(expected.count);
    }

    const done = await waitUntil(async () => (await stored(server)).count >= expected.count, {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    expect(done, s.tail()).toBe(true);
    expect(s.log.some((l) => l.includes('"retrying"'))).toBe(true);
    expect(await s.stop(30_000)).toBe(0);
    expect(await stored(server)).toEqual({ ...expected, distinct: expected.count });
  });
});
