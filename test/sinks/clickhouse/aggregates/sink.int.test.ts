/**
 * The aggregate sink into the stack's ClickHouse (over HTTP, the production path), end to end: the real
 * processors (in this process) write the aggregate topics while `retail-etl sink aggregates
 * --target clickhouse` is killed twice — after its inserts and before its Kafka commit (the
 * restart replays ranges already inserted), and between the inserts of one batch — then restarted
 * and stopped with SIGTERM. The tables are read after the last sink exited. With FINAL they must equal the SQL recomputation; without FINAL no
 * record may be stored twice (the dedup tokens, not only the ReplacingMergeTree, must hold).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { runProcessors } from '../../../../processors/app.js';
import type { RunningProcessors } from '../../../../processors/app.js';
import { aggClickhouseDdl } from '../../../../sinks/clickhouse/aggregates/ddl.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import type { SinkChild } from '../../../helpers/sink-process.js';
import { createFixture, waitCaughtUp } from '../../../processors/helpers/fixture.js';
import type { Fixture } from '../../../processors/helpers/fixture.js';
import { clickhouseTables, expectedTables, sorted } from '../../aggregates/expected.js';
import type { Expected } from '../../aggregates/expected.js';

const TOP_N = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sink aggregates → ClickHouse: FINAL equals SQL across kill -9, no record stored twice', () => {
  const env = stackEnv();
  const url = clickhouseUrl();
  const database = uniqueName('agg');
  const group = uniqueName('agg-ch');
  let f: Fixture;
  let processors: RunningProcessors | undefined;
  let ch: ClickHouseClient | undefined;
  let expected: Expected;
  const logs: string[] = [];
  const children: SinkChild[] = [];

  const sinkEnv = (extra: Record<string, string> = {}) => ({
    ...env,
    CLICKHOUSE_URL: url,
    SINK_AGGREGATES_TARGET: 'clickhouse',
    SINK_AGGREGATES_CLICKHOUSE_DATABASE: database,
    SINK_AGGREGATES_HOURLY_TOPIC: f.topics.hourly,
    SINK_AGGREGATES_TOP_SKUS_TOPIC: f.topics.topSkus,
    SINK_AGGREGATES_ROLLING_TOPIC: f.topics.rolling,
    SINK_AGGREGATES_DLQ_TOPIC: f.topics.dlq,
    SINK_AGGREGATES_GROUP_ID: group,
    SINK_AGGREGATES_METRICS_PORT: '0',
    SINK_AGGREGATES_MAX_BATCH_ROWS: '400',
    SINK_AGGREGATES_MAX_WAIT_MS: '100',
    SINK_AGGREGATES_SESSION_TIMEOUT_MS: '6000',
    ...extra,
  });
  const start = (extra: Record<string, string> = {}) => {
    const c = spawnSink(['aggregates'], sinkEnv(extra));
    children.push(c);
    return c;
  };

  /** Kafka committed offsets of the sink's group (the ClickHouse target resumes from them). */
  async function committedEverywhere(): Promise<boolean> {
    for (const t of [f.topics.hourly, f.topics.topSkus, f.topics.rolling]) {
      const high = await f.admin.fetchTopicOffsets(t);
      const [c] = await f.admin.fetchOffsets({ groupId: group, topics: [t] });
      for (const h of high) {
        const at = Number(c?.partitions.find((p) => p.partition === h.partition)?.offset ?? -1);
        if (Number(h.high) > 0 && at !== Number(h.high)) return false;
      }
    }
    return true;
  }

  /**
   * The sink's own DDL, created ahead with background merges off: a ReplacingMergeTree merge would
   * hide a record stored twice, and this test must see whether the dedup tokens alone kept every
   * record single.
   */
  async function createTablesWithoutMerges(): Promise<void> {
    const client = clickhouseClient(url);
    try {
      await client.command({ query: `CREATE DATABASE \`${database}\`` });
      for (const sql of Object.values(aggClickhouseDdl(database, 10_000)))
        await client.command({ query: `${sql}, max_bytes_to_merge_at_max_space_in_pool = 1` });
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    await createTablesWithoutMerges();
    f = await createFixture({ events: 12_000, seed: 23, firstFraction: 0.5, maxBatchBytes: 16 * 1024 });
    processors = await runProcessors(['hourly', 'top-skus', 'rolling'], { ...f.options, topN: TOP_N });

    // 1. SIGKILL after the 3rd batch's inserts, before its Kafka commit: the restart replays them.
    const a = start({ RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '3' });
    expect(await a.exited).toBeNull();
    // 2. SIGKILL after the first insert of batch 2 (its other ranges not inserted); if that batch
    //    had a single range, an outside kill -9 instead.
    const b = start({ RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
    await b.waitForLog(/sink running/);
    await f.produceRest();
    const killedItself = await Promise.race([b.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!killedItself) b.child.kill('SIGKILL');
    expect(await b.exited).toBeNull();
    // 3. Run to the end, then SIGTERM: flush, commit, exit 0.
    const c = start();
    await c.waitForLog(/sink running/);
    // The three operators run as one topology (one group, and the top-SKUs merge group).
    await waitCaughtUp(f, 'all', 60_000);
    const deadline = Date.now() + 40_000;
    while (!(await committedEverywhere())) {
      if (Date.now() > deadline) throw new Error(`sink not caught up:\n${c.log.slice(-10).join('\n')}`);
      await sleep(300);
    }
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    for (const x of children) logs.push(...x.log);
    expected = await expectedTables(f, TOP_N);
    ch = clickhouseClient(url);
  });

  afterAll(async () => {
    for (const x of children)
      if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
    await processors?.stop();
    await ch?.close();
    await f?.admin.deleteGroups([group]).catch(() => undefined);
    await f?.cleanup();
    await dropDatabase(database, url);
  });

  it('was killed after an insert and mid-batch, and replayed the inserted ranges with their tokens', () => {
    expect(logs.some((l) => l.includes('SIGKILL after write 3, before its Kafka commit'))).toBe(true);
    expect(logs.some((l) => l.includes('replaying inserted ranges with their dedup tokens'))).toBe(true);
  });

  it('sales_hourly, top_skus and store_rolling_1h with FINAL equal the SQL recomputation', async () => {
    const got = await clickhouseTables(ch as ClickHouseClient, database, expected);
    expect(expected.hourly.size).toBeGreaterThan(300);
    expect(sorted(got.hourly)).toEqual(sorted(expected.hourly));
    expect(sorted(got.top)).toEqual(sorted(expected.top));
    expect(got.rollingOutside).toBe(0);
    expect(sorted(got.rolling)).toEqual(sorted(expected.rolling));
  });

  it('no Kafka record is stored twice (dedup tokens), even before merges', async () => {
    const keys: Record<string, string> = {
      sales_hourly: 'store_id, sku, window_start',
      top_skus: 'window_start, rank, sku',
      store_rolling_1h: 'store_id, window_end',
    };
    for (const [table, key] of Object.entries(keys)) {
      const rs = await (ch as ClickHouseClient).query({
        query: `SELECT count() AS n, uniqExact(${key}, kafka_offset) AS u FROM \`${database}\`.${table}`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string; u: string }>();
      expect(Number(row?.n), table).toBeGreaterThan(0);
      expect(Number(row?.n), `${table}: rows stored twice`).toBe(Number(row?.u));
    }
  });
});
