/**
 * Two (then three) `retail-etl sink postgres` processes in one consumer group on a 6-partition
 * topic while events keep arriving.
 *
 * 1. Rebalances stay exact: A runs alone, B joins mid-stream (partitions move from A to B), A is
 *    killed with kill -9 mid-stream (its partitions move to B after the session timeout). At the
 *    end count(*), count(DISTINCT event_id), sum(quantity) and sum(quantity × unit_price_cents) of
 *    sales_raw equal the produced events exactly.
 * 2. The fencing, made deterministic: a third instance Z joins with a flush timer so long that it
 *    only buffers, then is frozen (SIGSTOP) past its session timeout holding a batch of its
 *    partitions. The group gives them to B, which writes them. Z is thawed with a SIGTERM pending,
 *    so its first act is the final flush of its stale batch: the compare-and-set on sink_offsets
 *    finds the positions moved and refuses every one of its segments ("partition fenced"), and the
 *    table holds each event once. Without the compare-and-set that batch would be written twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import type { SinkChild } from '../../../helpers/sink-process.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../core/contract.suite.js';
import { pgCounts } from './pg-counts.js';
import { dropTopicsAndSchema } from './process-setup.js';
import { metricValue, metricsPort, produceStream } from './stream.js';

const env = stackEnv();
const SESSION_TIMEOUT_MS = 6000;

/** Partition lists of every "partitions assigned" line, in order. */
function assignments(s: SinkChild): number[][] {
  return s.log
    .filter((l) => l.includes('"msg":"partitions assigned"'))
    .map((l) => {
      const e = JSON.parse(l) as { partitions?: number[]; assignment?: Record<string, number[]> };
      return e.partitions ?? Object.values(e.assignment ?? {}).flat();
    });
}

/** Partitions named in "partition fenced" lines. */
function fencedPartitions(s: SinkChild): number[] {
  return s.log
    .filter((l) => l.includes('"msg":"partition fenced'))
    .map((l) => (JSON.parse(l) as { partition: number }).partition);
}

describe('postgres sink: two instances, rebalances mid-stream, and a fenced zombie', () => {
  const topic = uniqueName('rebalance');
  const schema = uniqueName('rebalancepg');
  const group = uniqueName('grp');
  const children: SinkChild[] = [];
  afterAll(async () => {
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGCONT');
        c.child.kill('SIGKILL');
        await c.exited;
      }
    }
    await dropTopicsAndSchema(env.DATABASE_URL, [topic], schema);
  });

  it('exact after a join and a kill -9 mid-stream; a stalled instance’s stale batch is refused', async () => {
    await createTopic(topic, 6);
    const counts = () => pgCounts(env.DATABASE_URL, schema);
    const base = {
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_GROUP_ID: group,
      SINK_POSTGRES_METRICS_PORT: '0',
      SINK_POSTGRES_MAX_BATCH_ROWS: '5000',
      SINK_POSTGRES_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    };
    const start = (extra: Record<string, string> = {}) => {
      const s = spawnSink(['postgres'], { ...base, ...extra });
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
    const z = start({ SINK_POSTGRES_MAX_WAIT_MS: '600000', SINK_POSTGRES_MAX_BATCH_ROWS: '1000000' });
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
        const zBuffered = await metricValue(zPort, 'retail_sink_buffered_rows', { sink: 'postgres' });
        return zBuffered > 0 && (await counts()).count - first.count + zBuffered === more.length;
      },
      30_000,
      'B wrote its share of the new events and Z buffered the rest',
    );
    z.child.kill('SIGSTOP');
    // Past Z's session timeout the group gives B all partitions; B writes Z's share too.
    const all = totals([...events, ...more]);
    await progress(all.count, 'B wrote the stalled instance’s partitions', [b]);
    expect(assignments(b).at(-1)).toHaveLength(6);
    expect(fencedPartitions(z)).toEqual([]);
    // Thaw Z with a SIGTERM pending: it flushes its stale batch before anything else.
    z.child.kill('SIGTERM');
    z.child.kill('SIGCONT');
    expect(await z.exit(30_000)).toBe(0);
    const fenced = fencedPartitions(z);
    expect(fenced.length).toBeGreaterThan(0);
    for (const p of fenced) expect(zPartitions).toContain(p);
    expect(z.log.some((l) => l.includes('"msg":"final flush failed"'))).toBe(false);
    await sleep(1000);
    expect(await counts()).toEqual({ ...all, distinct: all.count });

    // B stops cleanly.
    b.child.kill('SIGTERM');
    expect(await b.exit(30_000)).toBe(0);
    expect(await counts()).toEqual({ ...all, distinct: all.count });
  });
});
