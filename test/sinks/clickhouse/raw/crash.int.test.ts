/**
 * kill -9 of a real `retail-etl sink clickhouse` process writing to the stack's ClickHouse over
 * HTTP: it kills the sink, restarts it, and reads after the last one exited on SIGTERM. The kill after an insert
 * and before the Kafka commit forces a replay of already-inserted ranges: only the dedup tokens
 * (recreated from the stored ranges) keep the count exact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import { uniqueName } from '../../../helpers/env.js';
import { chCounts } from './ch-counts.js';

describe('clickhouse sink survives kill -9', () => {
  const topic = uniqueName('chcrash');
  const group = uniqueName('grp');
  const url = clickhouseUrl();
  const database = uniqueName('crash');
  afterAll(async () => {
    await deleteTopics([topic]);
    await dropDatabase(database, url);
  });

  it('after-insert and mid-batch kills, then restart: exact after dedup', async () => {
    await createTopic(topic, 3);
    const events = makeEvents(60_000, { stores: 48 });
    const expected = totals(events);
    await produce(topic, events);
    const base = {
      CLICKHOUSE_URL: url,
      SINK_CLICKHOUSE_DATABASE: database,
      SINK_CLICKHOUSE_TOPIC: topic,
      SINK_CLICKHOUSE_GROUP_ID: group,
      SINK_CLICKHOUSE_METRICS_PORT: '0',
      SINK_CLICKHOUSE_MAX_BATCH_ROWS: '8000',
      SINK_CLICKHOUSE_SESSION_TIMEOUT_MS: '6000',
    };
    // 1. Inserts of batch 2 done, Kafka commit not: the restart must replay them as duplicates.
    const a = spawnSink(['clickhouse'], { ...base, RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '2' });
    expect(await a.exit()).toBeNull();
    // 2. Killed between the writes of one batch (its rows in sales_raw, their ids not yet).
    const b = spawnSink(['clickhouse'], { ...base, RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
    expect(await b.exit()).toBeNull();
    expect(b.log.some((l) => l.includes('replaying inserted ranges'))).toBe(true);
    // 3. Drain, then SIGTERM: flush, commit, exit 0.
    const c = spawnSink(['clickhouse'], base);
    await c.waitForLog(/sink running/);
    const deadline = Date.now() + 60_000;
    // Drained: every partition's lag at 0 on the sink's own exporter.
    for (;;) {
      const res = await fetch(await metricsUrl(c.log))
        .then((r) => r.text())
        .catch(() => '');
      const lag = [...res.matchAll(/retail_sink_consumer_lag_messages\{[^}]*\} (\d+)/g)].map((m) =>
        Number(m[1]),
      );
      const written = Number(/retail_sink_rows_written_total\{sink="clickhouse"\} (\d+)/.exec(res)?.[1] ?? 0);
      if (lag.length === 3 && lag.every((l) => l === 0) && written > 0) break;
      if (Date.now() > deadline) throw new Error(`not drained in time:\n${c.log.slice(-10).join('\n')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    c.child.kill('SIGTERM');
    expect(await c.exit()).toBe(0);
    const client = clickhouseClient(url);
    try {
      const got = await chCounts(client, database);
      if (got.count !== expected.count) {
        const rs = await client.query({
          query: `SELECT kafka_partition p, batch_first f, batch_last l, count() n, min(kafka_offset) lo, max(kafka_offset) hi FROM \`${database}\`.sales_raw GROUP BY p, f, l ORDER BY p, f`,
          format: 'JSONEachRow',
        });
        console.log(JSON.stringify(await rs.json()));
        console.log(
          [...a.log, ...b.log, ...c.log].filter((l) => /position|replay|fault|assigned/.test(l)).join('\n'),
        );
      }
      expect(got).toEqual({ ...expected, distinct: expected.count });
    } finally {
      await client.close();
    }
  });
});

async function metricsUrl(log: string[]): Promise<string> {
  const line = log.find((l) => l.includes('"sink running"')) ?? '';
  const port = (JSON.parse(line) as { metricsPort: number }).metricsPort;
  return `http://127.0.0.1:${port}/metrics`;
}
