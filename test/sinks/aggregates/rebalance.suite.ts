/**
 * The shared rebalance test both aggregate targets pass, the aggregate sink's version of
 * test/sinks/raw/rebalance.suite.ts: two (then three) `retail-etl sink aggregates` processes in one
 * consumer group on the three aggregate topics (6 partitions each) while rounds of updates to the
 * same keys keep arriving (test/sinks/aggregates/updates.ts: every hourly and rolling key and every
 * top-SKUs hour, each round with other values and another ranking).
 *
 * 1. A runs alone, B joins mid-stream, A is killed with kill -9 mid-stream. At the end every table
 *    equals the topics compacted by hand (the last record of each key), row for row: no missing,
 *    extra or different rows.
 * 2. A deterministic zombie: Z joins with a flush timer so long that it only buffers, takes half the
 *    partitions, buffers a round of updates and is frozen (SIGSTOP) past its session timeout. More
 *    rounds arrive while it is frozen; the group gives its partitions to B, which writes them all.
 *    Z is thawed with a SIGTERM pending, so its first act is the final flush of its stale records —
 *    older values of keys whose newer values are stored, and older rankings of hours whose newer
 *    ranking is stored. The tables must still equal the topics' last values. Postgres refuses the
 *    stale batch by its compare-and-set on agg_sink_offsets ("partition fenced"); ClickHouse has no
 *    transaction: its stale rows must lose to the stored newer ones (the offset is the version).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics } from '../../../bench/lib/sale-events.js';
import { createKafka } from '../../../lib/kafka/index.js';
import { uniqueName } from '../../helpers/env.js';
import { assignments, fencedPartitions } from '../../helpers/sink-group-log.js';
import { killSinks, spawnSink } from '../../helpers/sink-process.js';
import type { SinkChild } from '../../helpers/sink-process.js';
import { waitCommittedAtEnd } from '../core/committed.js';
import { waitUntil } from '../core/contract.suite.js';
import { metricValue, metricsPort } from '../raw/stream.js';
import { sorted, topicTables } from './expected.js';
import type { Expected } from './expected.js';
import { RECORDS_PER_ROUND, produceRounds } from './updates.js';

const SESSION_TIMEOUT_MS = 6000;
const PARTITIONS = 6;
/** Rounds of the first stream (one every 250 ms); then one for the zombie to buffer, two while it is frozen. */
const ROUNDS = 100;
/** Every rolling row is compared (the suite's windows are its own, not a processor run's). */
const ALL_WINDOWS: Pick<Expected, 'rollingFrom' | 'rollingTo'> = {
  rollingFrom: 0,
  rollingTo: Number.MAX_SAFE_INTEGER,
};

export type AggTables = Awaited<ReturnType<typeof topicTables>>;

export interface AggRebalanceTarget {
  target: 'postgres' | 'clickhouse';
  /** The environment naming this test's own tables (schema, or URL and database). */
  env(): Record<string, string>;
  setup(): Promise<void>;
  /** The three tables in the shape of expected.ts (ClickHouse: read with FINAL). */
  tables(range: Pick<Expected, 'rollingFrom' | 'rollingTo'>): Promise<AggTables>;
  teardown(): Promise<void>;
  /**
   * How the sink says it kept the zombie's stale records out: Postgres `partition fenced` (its
   * compare-and-set); ClickHouse `superseded` (the stored newer version won).
   */
  zombieKeptOut: 'fenced' | 'superseded';
}

/** Row counts first (a readable measure of what is wrong), then every row. */
function expectSame(got: AggTables, want: AggTables): void {
  const size = (t: AggTables) => ({
    hourly: t.hourly.size,
    topHours: t.top.size,
    topRows: [...t.top.values()].reduce((n, l) => n + (JSON.parse(l) as unknown[]).length, 0),
    rolling: t.rollingRows,
  });
  expect(size(got)).toEqual(size(want));
  expect(sorted(got.hourly)).toEqual(sorted(want.hourly));
  expect(sorted(got.top)).toEqual(sorted(want.top));
  expect(sorted(got.rolling)).toEqual(sorted(want.rolling));
}

export function aggregateRebalanceSuite(t: AggRebalanceTarget): void {
  describe(`aggregates ${t.target} sink: two instances, rebalances mid-stream, and a stalled zombie`, () => {
    const topics = {
      hourly: uniqueName('rebhourly'),
      topSkus: uniqueName('rebtop'),
      rolling: uniqueName('rebrolling'),
      anomalies: uniqueName('rebanomalies'),
    };
    const all = Object.values(topics);
    const dlq = uniqueName('rebaggdlq');
    const group = uniqueName('grp');
    const sinkName = `aggregates-${t.target}`;
    const kafka = createKafka('test-agg-rebalance');
    const admin = kafka.admin();
    const children: SinkChild[] = [];
    afterAll(async () => {
      await killSinks(children);
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
      await deleteTopics([...all, dlq]);
      await t.teardown();
    });

    /** Records of the three topics the group committed (both targets commit after each write). */
    const committed = async () => {
      let n = 0;
      for (const topic of all)
        for (const p of (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [])
          n += Math.max(0, Number(p.offset));
      return n;
    };
    const expected = () => topicTables(kafka, topics, ALL_WINDOWS);

    it('tables equal the topics’ last values after a join and a kill -9 mid-stream, and after a stalled instance’s stale flush', async () => {
      await admin.connect();
      for (const topic of all) await createTopic(topic, PARTITIONS, kafka);
      await createTopic(dlq, 1, kafka);
      await t.setup();
      const base = {
        ...t.env(),
        SINK_AGGREGATES_HOURLY_TOPIC: topics.hourly,
        SINK_AGGREGATES_TOP_SKUS_TOPIC: topics.topSkus,
        SINK_AGGREGATES_ROLLING_TOPIC: topics.rolling,
        SINK_AGGREGATES_ANOMALIES_TOPIC: topics.anomalies,
        SINK_AGGREGATES_DLQ_TOPIC: dlq,
        SINK_AGGREGATES_GROUP_ID: group,
        SINK_AGGREGATES_METRICS_PORT: '0',
        SINK_AGGREGATES_MAX_BATCH_ROWS: '2000',
        SINK_AGGREGATES_MAX_WAIT_MS: '200',
        SINK_AGGREGATES_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      };
      const start = (extra: Record<string, string> = {}) => {
        const s = spawnSink(['aggregates'], { ...base, ...extra });
        children.push(s);
        return s;
      };
      const progress = async (atLeast: number, what: string, logs: SinkChild[]) =>
        waitUntil(async () => (await committed()) >= atLeast, 60_000, what).catch((err: Error) => {
          const tail = logs.map((s) => s.log.slice(-10).join('\n')).join('\n---\n');
          throw new Error(`${err.message}\n${tail}`);
        });
      const tps = all.length * PARTITIONS;

      // 1. A alone, then B joins mid-stream, then A is killed mid-stream: 100 rounds over ~25 s.
      const a = start();
      await metricsPort(a);
      const stream = produceRounds(topics, 0, ROUNDS, 250);
      await progress(5 * RECORDS_PER_ROUND, 'A writing', [a]);
      const b = start();
      await metricsPort(b);
      await waitUntil(
        async () => assignments(a).at(-1)?.length === tps / 2 && assignments(b).at(-1)?.length === tps / 2,
        30_000,
        'A and B share the partitions after B joined',
      );
      expect(assignments(a)[0]).toHaveLength(tps);
      const atKill = await committed();
      await progress(atKill + 3 * RECORDS_PER_ROUND, 'A and B writing', [a, b]);
      expect(stream.sent).toBeLessThan(ROUNDS * RECORDS_PER_ROUND); // A dies while updates arrive
      a.child.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      await waitUntil(
        async () => assignments(b).at(-1)?.length === tps,
        SESSION_TIMEOUT_MS + 30_000,
        'B took over every partition',
      );
      await stream.done;
      await waitCommittedAtEnd(kafka, group, all, 60_000);
      await sleep(1000); // a late or doubled write would show up now
      expectSame(await t.tables(ALL_WINDOWS), await expected());

      // 2. Z only buffers (flush at 1M rows or 10 min), takes half the partitions, then stalls.
      const z = start({ SINK_AGGREGATES_MAX_WAIT_MS: '600000', SINK_AGGREGATES_MAX_BATCH_ROWS: '1000000' });
      const zPort = await metricsPort(z);
      await waitUntil(
        async () => assignments(z).at(-1)?.length === tps / 2 && assignments(b).at(-1)?.length === tps / 2,
        30_000,
        'B and Z share the partitions',
      );
      const zPartitions = assignments(z).at(-1) ?? [];
      await waitUntil(
        async () => z.log.filter((l) => l.includes('"msg":"partition position"')).length >= tps / 2,
        30_000,
        'Z loaded its positions',
      );
      // Z must hold stale rankings, not only stale rows of keys: some top-SKUs partition of its
      // share has records.
      const topFilled = (await admin.fetchTopicOffsets(topics.topSkus))
        .filter((o) => Number(o.high) > 0)
        .map((o) => `${topics.topSkus}#${o.partition}`);
      expect(zPartitions.filter((p) => topFilled.includes(p)).length).toBeGreaterThan(0);
      const before = await committed();
      await produceRounds(topics, ROUNDS, ROUNDS + 1, 0).done;
      await waitUntil(
        async () => {
          const zBuffered = await metricValue(zPort, 'retail_sink_buffered_rows', { sink: sinkName });
          return zBuffered > 0 && (await committed()) - before + zBuffered === RECORDS_PER_ROUND;
        },
        30_000,
        'B wrote its share of the round and Z buffered the rest',
      );
      z.child.kill('SIGSTOP');
      // Two more rounds while Z is frozen: B writes newer values and rankings of Z's keys, in
      // batches that reach past Z's stale one (so not the same inserts).
      await produceRounds(topics, ROUNDS + 1, ROUNDS + 3, 0).done;
      // Past Z's session timeout the group gives B every partition; B writes Z's share too.
      await waitCommittedAtEnd(kafka, group, all, SESSION_TIMEOUT_MS + 60_000);
      expect(assignments(b).at(-1)).toHaveLength(tps);
      expect(fencedPartitions(z)).toEqual([]);
      // Thaw Z with a SIGTERM pending: it flushes its stale records before anything else.
      z.child.kill('SIGTERM');
      z.child.kill('SIGCONT');
      expect(await z.exit(30_000)).toBe(0);
      expect(z.log.some((l) => l.includes('"msg":"final flush failed"'))).toBe(false);
      await sleep(1000);
      expectSame(await t.tables(ALL_WINDOWS), await expected());
      const fenced = fencedPartitions(z);
      if (t.zombieKeptOut === 'fenced') {
        expect(fenced.length).toBeGreaterThan(0);
        for (const f of fenced) expect(zPartitions).toContain(f);
      } else {
        expect(z.log.some((l) => l.includes('"msg":"top SKUs superseded'))).toBe(true);
      }

      // B stops cleanly.
      b.child.kill('SIGTERM');
      expect(await b.exit(30_000)).toBe(0);
      expectSame(await t.tables(ALL_WINDOWS), await expected());
    });
  });
}
