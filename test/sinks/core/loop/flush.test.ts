import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../lib/logger.js';
import { BatchBuffer } from '../../../../sinks/core/batch-buffer.js';
import type { Batch, Sink, WriteResult } from '../../../../sinks/core/contract.js';
import { Flusher, dedupeDead } from '../../../../sinks/core/loop/flush.js';
import { createSinkMetrics } from '../../../../sinks/core/metrics.js';
import { deadLetter } from '../dead-letter.js';

interface Row {
  kafkaTimestamp: number;
}
const logger = createLogger('test', { write: () => undefined });
const dead = (partition: number, offset: number) => deadLetter('t', partition, offset);

function setup(o: { fenced?: number[]; killAfterWrites?: number; failWith?: Error } = {}) {
  const registry = new Registry();
  const metrics = createSinkMetrics(registry);
  const buffer = new BatchBuffer<Row>();
  const events: string[] = [];
  const written: Batch<Row>[] = [];
  const sink: Sink<Row> = {
    name: 'test',
    open: () => Promise.resolve(),
    resume: () => Promise.resolve({ next: undefined, cuts: [] }),
    writeBatch: (b) => {
      if (o.failWith) return Promise.reject(o.failWith);
      events.push(`write ${b.rowCount}`);
      written.push(b);
      const r: WriteResult = { fenced: (o.fenced ?? []).map((partition) => ({ topic: 't', partition })) };
      return Promise.resolve(r);
    },
    ready: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
  const fatal: unknown[] = [];
  const flusher = new Flusher<Row>({
    sink,
    buffer,
    dlq: {
      send: (letters) => {
        if (letters.length > 0) events.push(`dlq ${letters.map((l) => l.offset).join(',')}`);
        return Promise.resolve();
      },
    },
    decoder: {},
    metrics,
    logger,
    retry: (_what, fn) => fn(),
    pinned: () => new Set(),
    fenced: (tp) => events.push(`forget ${tp.topic}/${tp.partition}`),
    commit: (offsets) => {
      events.push(`commit ${offsets.map((c) => `${c.partition}@${c.offset}`).join(',')}`);
      return Promise.resolve();
    },
    fatal: (err) => fatal.push(err),
    heartbeat: () => undefined,
    killAfterWrites: o.killAfterWrites,
    kill: (reason) => events.push(`kill ${reason}`),
  });
  const fill = (partition: number, from: number, to: number) => {
    const cursor = { next: from, cuts: [] as number[] };
    for (let i = from; i <= to; i++) buffer.append('t', partition, cursor, i, { kafkaTimestamp: Date.now() });
  };
  const value = async (name: string) =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels['sink'] === 'test')?.value;
  return { flusher, buffer, events, written, fill, fatal, value };
}

describe('Flusher (flush and commit)', () => {
  it('sends dead letters first, then writes, then commits last + 1 of each partition', async () => {
    const t = setup();
    t.fill(0, 0, 2);
    t.fill(1, 10, 10);
    t.buffer.append('t', 0, { next: 3, cuts: [] }, 3, undefined, dead(0, 3));
    await t.flusher.start();
    expect(t.events).toEqual(['dlq 3', 'write 4', 'commit 0@4,1@11']);
    expect(t.buffer.isEmpty()).toBe(true);
    expect(await t.value('retail_sink_rows_written_total')).toBe(4);
    expect(await t.value('retail_sink_dlq_records_total')).toBe(1);
  });

  it('one flush at a time: start while one runs returns the same flush', async () => {
    const t = setup();
    t.fill(0, 0, 0);
    const a = t.flusher.start();
    t.fill(0, 1, 1);
    expect(t.flusher.start()).toBe(a);
    expect(t.flusher.busy).toBe(true);
    await t.flusher.drain();
    expect(t.written.map((b) => b.rowCount)).toEqual([1, 1]);
    expect(t.flusher.busy).toBe(false);
  });

  it('a fenced partition is dropped from the buffer, forgotten, counted and never committed', async () => {
    const t = setup({ fenced: [1] });
    t.fill(0, 0, 1);
    t.fill(1, 0, 1);
    await t.flusher.start();
    expect(t.events).toEqual(['write 4', 'forget t/1', 'commit 0@2']);
    expect(await t.value('retail_sink_fenced_total')).toBe(1);
    expect(await t.value('retail_sink_rows_written_total')).toBe(2);
  });

  it('kills after the Nth write, before its Kafka commit (crash tests)', async () => {
    const t = setup({ killAfterWrites: 1 });
    t.fill(0, 0, 0);
    await t.flusher.start();
    expect(t.events).toEqual(['write 1', 'kill after write 1, before its Kafka commit', 'commit 0@1']);
  });

  it('a failed write is fatal for the loop', async () => {
    const t = setup({ failWith: new Error('no') });
    t.fill(0, 0, 0);
    await expect(t.flusher.start()).rejects.toThrow('no');
    expect(t.fatal).toHaveLength(1);
    expect(t.flusher.busy).toBe(false);
  });

  it('whenFull waits for the flush in flight, then starts the next one', async () => {
    const t = setup();
    t.fill(0, 0, 0);
    void t.flusher.start();
    t.fill(0, 1, 2);
    await t.flusher.whenFull();
    await t.flusher.settled();
    expect(t.written.map((b) => b.rowCount)).toEqual([1, 2]);
  });

  it('nothing buffered: nothing written', async () => {
    const t = setup();
    expect(t.flusher.start()).toBeUndefined();
    await t.flusher.drain();
    expect(t.events).toEqual([]);
  });
});

describe('dedupeDead', () => {
  it('keeps one dead letter per topic-partition-offset (a record fetched twice)', () => {
    expect(dedupeDead([dead(0, 1), dead(0, 1), dead(1, 1)]).map((d) => [d.partition, d.offset])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });
});
