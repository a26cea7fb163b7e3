import type { KafkaMessage } from '../../../../lib/kafka/index.js';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../lib/logger.js';
import { BatchBuffer } from '../../../../sinks/core/batch-buffer.js';
import type { RowDecoder } from '../../../../sinks/core/contract.js';
import { coverFiltered, intake } from '../../../../sinks/core/loop/fetch.js';
import type { IntakeHooks } from '../../../../sinks/core/loop/fetch.js';
import type { PartitionState } from '../../../../sinks/core/loop/positions.js';

interface Row {
  v: string;
  kafkaTimestamp: number;
}
const logger = createLogger('test', { write: () => undefined });
const msg = (offset: number, value: string | null): KafkaMessage =>
  ({
    offset: String(offset),
    timestamp: '1000',
    key: null,
    value: value === null ? null : Buffer.from(value),
    attributes: 0,
    headers: {},
  }) as KafkaMessage;
/** A value "bad" is a dead letter, anything else a row. */
const decoder: RowDecoder<Row> = {
  decode: (_t, _p, _o, m) =>
    m.value?.toString() === 'bad'
      ? { ok: false, reason: 'invalid_event', detail: 'bad value' }
      : { ok: true, row: { v: m.value?.toString() ?? '', kafkaTimestamp: 1000 } },
};
const state = (next: number, checked = true): PartitionState => ({ next, cuts: [], generation: 1, checked });

function run(
  messages: KafkaMessage[],
  st: PartitionState,
  o: { lastOffset?: number; maxBatchRows?: number; live?: () => boolean } = {},
) {
  const buffer = new BatchBuffer<Row>();
  const events: string[] = [];
  const hooks: IntakeHooks = {
    live: o.live ?? (() => true),
    assigned: () => true,
    seek: (offset) => events.push(`seek ${offset}`),
    resolve: (offset) => events.push(`resolve ${offset}`),
    skipped: () => events.push('skipped'),
    full: () => {
      events.push(`full at ${buffer.rows}`);
      buffer.take();
      return Promise.resolve();
    },
  };
  const last = o.lastOffset ?? Number(messages.at(-1)?.offset ?? -1);
  const done = intake(
    { topic: 't', partition: 0, messages, lastOffset: last },
    st,
    { buffer, decoder, maxBatchRows: o.maxBatchRows ?? 1000, logger },
    hooks,
  );
  return { buffer, events, done };
}

describe('intake (fetched records → buffer)', () => {
  it('skips records below the stored position, buffers rows and dead letters, resolves each', async () => {
    const st = state(2);
    const { buffer, events, done } = run(
      [msg(0, 'a'), msg(1, 'b'), msg(2, 'c'), msg(3, 'bad'), msg(4, 'e')],
      st,
    );
    await done;
    expect(events).toEqual([
      'skipped',
      'resolve 0',
      'skipped',
      'resolve 1',
      'resolve 2',
      'resolve 3',
      'resolve 4',
    ]);
    expect(st.next).toBe(5);
    const taken = buffer.take();
    expect(taken.batch.segments.map((s) => [s.first, s.last, s.rows.map((r) => r.v)])).toEqual([
      [2, 4, ['c', 'e']],
    ]);
    expect(taken.dead.map((d) => [d.offset, d.reason, d.detail])).toEqual([
      [3, 'invalid_event', 'bad value'],
    ]);
  });

  it('seeks back once when the first record is above the stored position; a later gap is real', async () => {
    const st = state(5, false);
    const first = run([msg(8, 'x'), msg(9, 'y')], st);
    expect(await first.done).toBe(false);
    expect(first.events).toEqual(['seek 5']);
    expect(first.buffer.isEmpty()).toBe(true);
    const second = run([msg(8, 'x')], st);
    expect(await second.done).toBe(true);
    expect(second.events).toEqual(['resolve 8']);
    expect(second.buffer.take().batch.segments.map((s) => [s.first, s.last])).toEqual([[5, 8]]);
  });

  it('a position of -1 (the sink knows nothing) starts at the first fetched record', async () => {
    const st = state(-1);
    const { buffer, done } = run([msg(7, 'a')], st);
    await done;
    expect(buffer.take().batch.segments.map((s) => [s.first, s.last])).toEqual([[7, 7]]);
  });

  it('hands a full buffer to the flush (backpressure) as soon as it reaches maxBatchRows', async () => {
    const { events, done } = run([msg(0, 'a'), msg(1, 'b'), msg(2, 'c')], state(0), { maxBatchRows: 2 });
    await done;
    expect(events).toEqual(['resolve 0', 'resolve 1', 'full at 2', 'resolve 2']);
  });

  it('covers trailing records the consumer filtered out (a commit marker) up to the last offset', async () => {
    const st = state(0);
    const { buffer, done } = run([msg(0, 'a')], st, { lastOffset: 1 });
    await done;
    expect(st.next).toBe(2);
    expect(buffer.take().batch.segments.map((s) => [s.first, s.last, s.rows.length])).toEqual([[0, 1, 1]]);
  });

  it('stops at once when the batch is no longer live (rebalance, stop)', async () => {
    let n = 0;
    const { events, done } = run([msg(0, 'a'), msg(1, 'b')], state(0), { live: () => n++ < 1 });
    expect(await done).toBe(false);
    expect(events).toEqual(['resolve 0']);
  });
});

describe('coverFiltered (a fetch whose records were all filtered out)', () => {
  it('moves the position only over a contiguous slice that starts at or before it', () => {
    const buffer = new BatchBuffer<Row>();
    const st = state(10);
    expect(coverFiltered(buffer, 't', 0, st, 12, 13)).toBe(false); // a gap: not provably contiguous
    expect(coverFiltered(buffer, 't', 0, st, 9, 9)).toBe(false); // entirely behind
    expect(coverFiltered(buffer, 't', 0, st, 10, 11)).toBe(true);
    expect(st.next).toBe(12);
    expect(buffer.take().batch.segments.map((s) => [s.first, s.last, s.rows.length])).toEqual([[10, 11, 0]]);
    expect(coverFiltered(buffer, 't', 0, state(-1), 0, 3)).toBe(false);
  });
});
