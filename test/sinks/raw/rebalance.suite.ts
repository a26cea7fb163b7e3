/**
 * The shared test both raw sinks pass: two (then three) `retail-etl sink <kind>` processes in one
 * consumer group on a 6-partition topic while events keep arriving.
 *
 * 1. Rebalances stay exact: A runs alone, B joins mid-stream (partitions move from A to B), A is
 *    killed with kill -9 mid-stream (its partitions move to B after the session timeout). At the
 *    end count, distinct event ids, sum(quantity) and sum(quantity × unit_price_cents) of
 *    sales_raw equal the produced events exactly.
 * 2. A zombie, made deterministic: a third instance Z joins with a flush timer so long that it only
 *    buffers, then is frozen (SIGSTOP) past its session timeout holding a batch of its partitions.
 *    The group gives them to B, which writes them. Z is thawed with a SIGTERM pending, so its first
 *    act is the final flush of its stale batch — which must not store anything twice. The Postgres
 *    sink refuses it by a compare-and-set on sink_offsets ("partition fenced"); the ClickHouse sink
 *    has no transaction to fence with: its id look-up finds the records stored by the new owner
 *    and leaves them out ("left out rows already stored"). Events produced while Z is frozen make
 *    the new owner's batches differ from Z's, so insert tokens alone cannot keep the count
 *    (without the look-up's rule this test stored 60,918 rows for 57,000 events).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../bench/lib/sale-events.js';
import type { SinkKind } from '../../../sinks/raw/run.js';
import { assignments, fencedPartitions } from '../../helpers/sink-group-log.js';
import { killSinks, spawnSink } from '../../helpers/sink-process.js';
import type { SinkChild } from '../../helpers/sink-process.js';
import { uniqueName } from '../../helpers/env.js';
import type { TargetCounts } from '../core/contract.suite.js';
import { waitUntil } from '../core/contract.suite.js';
import { metricValue, metricsPort, produceStream } from './stream.js';

const SESSION_TIMEOUT_MS = 6000;

export interface RebalanceTarget {
  kind: SinkKind;
  /** `SINK_POSTGRES_` / `SINK_CLICKHOUSE_`: the prefix of the sink's own settings. */
  envPrefix: string;
  /** The environment naming this test's own table (schema, or URL and database). */
  env(): Record<string, string>;
  setup(): Promise<void>;
  counts(): Promise<TargetCounts>;
  teardown(): Promise<void>;
  /**
   * How the sink says it kept the zombie's stale batch out: Postgres `partition fenced` (its
   * compare-and-set), ClickHouse `left out rows already stored` (its id look-up).
   */
  zombieKeptOut: 'fenced' | 'left out';
}

export function rebalanceSuite(t: RebalanceTarget): void {
  describe(`raw ${t.kind} sink: two instances, rebalances mid-stream, and a stalled zombie`, () => {
    const topic = uniqueName('rebalance');
    const group = uniqueName('grp');
    const children: SinkChild[] = [];
    afterAll(async () => {
      await killSinks(children);
      await deleteTopics([topic]);
      await t.teardown();
    });

    it('exact after a join and a kill -9 mid-stream; a stalled instance’s stale batch stores nothing twice', async () => {
      await createTopic(topic, 6);
      await t.setup();
      const counts = () => t.counts();
      const p = t.envPrefix;
      const base = {
        ...t.env(),
        [`${p}TOPIC`]: topic,
        [`${p}GROUP_ID`]: group,
        [`${p}METRICS_PORT`]: '0',
        [`${p}MAX_BATCH_ROWS`]: '5000',
        [`${p}SESSION_TIMEOUT_MS`]: String(SESSION_TIMEOUT_MS),
      };
      const start = (extra: Record<string, string> = {}) => {
        const s = spawnSink([t.kind], { ...base, ...extra });
        children.push(s);
        return s;
      };
      const progress = async (atLeast: number, what: string, logs: SinkChild[]) =>
        waitUntil(async () => (await counts()).count >= atLeast, 60_000, what).catch((err: Error) => {
          const tail = logs.map((s) => s.log.slice(-10).join('\n')).join('\n---\n');
          throw new Error(`${err.message}\n${tail}`);
        });

      // 1. A alone, then B joins mid-stream, then A is killed mid-stream.
      const events = makeEvents(48_000, { stores: 36 });
      const a = start();
      await metricsPort(a);
      const stream = produceStream(topic, events, { chunk: 1500, intervalMs: 500 }); // ~16 s
      await progress(6000, 'A writing', [a]);
      const b = start();
      await metricsPort(b);
      await waitUntil(
        async () => assignments(a).at(-1)?.length === 3 && assignments(b).at(-1)?.length === 3,
        30_000,
        'A and B share the partitions after B joined',
      );
      expect(assignments(a)[0]).toHaveLength(6);
      const atKill = (await counts()).count;
      await progress(atKill + 6000, 'A and B writing', [a, b]);
      expect(stream.sent).toBeLessThan(events.length); // B joined and A dies while events arrive
      a.child.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      await waitUntil(
        async () => assignments(b).at(-1)?.length === 6,
        SESSION_TIMEOUT_MS + 30_000,
        'B took over all 6 partitions',
      );
      await stream.done;
      const first = totals(events);
      await progress(first.count, 'all events of the stream', [b]);
      await sleep(1000); // a duplicate would show up now
      expect(await counts()).toEqual({ ...first, distinct: first.count });

      // 2. Z only buffers (flush at 1M rows or 10 min), takes half the partitions, then stalls.
      const z = start({ [`${p}MAX_WAIT_MS`]: '600000', [`${p}MAX_BATCH_ROWS`]: '1000000' });
      const zPort = await metricsPort(z);
      await waitUntil(
        async () => assignments(z).at(-1)?.length === 3 && assignments(b).at(-1)?.length === 3,
        30_000,
        'B and Z share the partitions',
      );
      const zPartitions = assignments(z).at(-1) ?? [];
      await waitUntil(
        async () => z.log.filter((l) => l.includes('"msg":"partition position"')).length >= 3,
        30_000,
        'Z loaded its positions',
      );
      const more = makeEvents(6000, { stores: 36, seed: 5 });
      await produce(topic, more);
      await waitUntil(
        async () => {
          const zBuffered = await metricValue(zPort, 'retail_sink_buffered_rows', { sink: t.kind });
          return zBuffered > 0 && (await counts()).count - first.count + zBuffered === more.length;
        },
        30_000,
        'B wrote its share of the new events and Z buffered the rest',
      );
      z.child.kill('SIGSTOP');
      // More events while Z is frozen: B's batches of Z's partitions then reach past Z's stale
      // batch, so they are not the same writes (a sink cannot rely on writing identical batches).
      const after = makeEvents(3000, { stores: 36, seed: 6 });
      await produce(topic, after);
      // Past Z's session timeout the group gives B all partitions; B writes Z's share too.
      const all = totals([...events, ...more, ...after]);
      await progress(all.count, 'B wrote the stalled instance’s partitions', [b]);
      expect(assignments(b).at(-1)).toHaveLength(6);
      expect(fencedPartitions(z)).toEqual([]);
      // Thaw Z with a SIGTERM pending: it flushes its stale batch before anything else.
      z.child.kill('SIGTERM');
      z.child.kill('SIGCONT');
      expect(await z.exit(30_000)).toBe(0);
      const fenced = fencedPartitions(z);
      if (t.zombieKeptOut === 'fenced') {
        expect(fenced.length).toBeGreaterThan(0);
        for (const f of fenced) expect(zPartitions).toContain(f);
      } else {
        expect(z.log.some((l) => l.includes('"msg":"left out rows already stored'))).toBe(true);
      }
      expect(z.log.some((l) => l.includes('"msg":"final flush failed"'))).toBe(false);
      await sleep(1000);
      expect(await counts()).toEqual({ ...all, distinct: all.count });

      // B stops cleanly.
      b.child.kill('SIGTERM');
      expect(await b.exit(30_000)).toBe(0);
      expect(await counts()).toEqual({ ...all, distinct: all.count });
    });
  });
}
