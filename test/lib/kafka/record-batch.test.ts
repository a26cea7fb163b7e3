/**
 * The record batch parser of the restore path on batches built by hand (byte by byte, as the
 * broker lays them out) and by kafkajs' own encoder (gzip included): offsets, null keys and
 * values, varints at their edges, headers skipped, partial batches left for the next fetch, and
 * read_committed — records of aborted transactions and control batches never come out.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readRecordSet, readVarint, varintEnd } from '../../../lib/kafka/record-batch.js';
import type { AbortedTransaction } from '../../../lib/kafka/record-batch.js';

function varint(n: number): Buffer {
  let u = n >= 0 ? n * 2 : -n * 2 - 1; // zigzag, exact for |n| < 2^52
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u % 128) | 0x80);
    u = Math.floor(u / 128);
  }
  out.push(u);
  return Buffer.from(out);
}

function bytes(b: Buffer | null): Buffer {
  return b === null ? varint(-1) : Buffer.concat([varint(b.length), b]);
}

interface HandRecord {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  timestampDelta?: number;
  headers?: [string, Buffer][];
}

function record(r: HandRecord): Buffer {
  const headers = r.headers ?? [];
  const body = Buffer.concat([
    Buffer.from([0]),
    varint(r.timestampDelta ?? 0),
    varint(r.offsetDelta),
    bytes(r.key),
    bytes(r.value),
    varint(headers.length),
    ...headers.flatMap(([k, v]) => [bytes(Buffer.from(k)), bytes(v)]),
  ]);
  return Buffer.concat([varint(body.length), body]);
}

interface HandBatch {
  baseOffset: number;
  records: HandRecord[];
  lastOffsetDelta?: number;
  producerId?: number;
  transactional?: boolean;
  control?: boolean;
}

function batch(b: HandBatch): Buffer {
  const records = Buffer.concat(b.records.map(record));
  const h = Buffer.alloc(61);
  h.writeBigInt64BE(BigInt(b.baseOffset), 0);
  h.writeInt32BE(61 - 12 + records.length, 8);
  h.writeInt32BE(0, 12); // leader epoch
  h.writeInt8(2, 16);
  h.writeUInt32BE(0, 17); // crc: not checked by the reader
  h.writeInt16BE((b.transactional ? 0x10 : 0) | (b.control ? 0x20 : 0), 21);
  h.writeInt32BE(b.lastOffsetDelta ?? Math.max(0, ...b.records.map((r) => r.offsetDelta)), 23);
  h.writeBigInt64BE(1_700_000_000_000n, 27);
  h.writeBigInt64BE(1_700_000_000_000n, 35);
  h.writeBigInt64BE(BigInt(b.producerId ?? -1), 43);
  h.writeInt16BE(0, 51);
  h.writeInt32BE(0, 53);
  h.writeInt32BE(b.records.length, 57);
  return Buffer.concat([h, records]);
}

/** A transaction marker batch: one control record, key = version 0 + type (0 abort, 1 commit). */
function marker(offset: number, producerId: number, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return batch({
    baseOffset: offset,
    producerId,
    transactional: true,
    control: true,
    records: [{ offsetDelta: 0, key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }],
  });
}

const text = (s: string) => Buffer.from(s);

async function readAll(buf: Buffer, from = 0, aborted: AbortedTransaction[] = []) {
  const out: { offset: number; key: string | null; value: string | null }[] = [];
  const read = await readRecordSet(buf, from, aborted, (r) => {
    out.push({ offset: r.offset, key: r.key()?.toString() ?? null, value: r.value()?.toString() ?? null });
  });
  return { out, read };
}

describe('readVarint', () => {
  it('decodes zigzag varints at the edges of each byte length', () => {
    for (const n of [0, -1, 1, 63, -64, 64, -65, 8191, 8192, -8193, 2 ** 31 - 1, -(2 ** 31), 2 ** 40 + 3]) {
      const b = Buffer.concat([Buffer.from([0xff]), varint(n), Buffer.from([7])]);
      expect(readVarint(b, 1)).toBe(n);
      expect(varintEnd).toBe(b.length - 1);
    }
  });

  it('refuses a varint that runs past the buffer or past 10 bytes', () => {
    expect(() => readVarint(Buffer.from([0x80, 0x80]), 0)).toThrow(/past its end/);
    expect(() => readVarint(Buffer.alloc(11, 0x80), 0)).toThrow(/longer than 10 bytes/);
  });
});

describe('readRecordSet', () => {
  it('yields offset, key and value of every record, null keys and tombstones included', async () => {
    const big = Buffer.alloc(300, 'x'); // a length varint of two bytes
    const set = Buffer.concat([
      batch({
        baseOffset: 10,
        records: [
          { offsetDelta: 0, key: text('k/a'), value: text('1'), timestampDelta: -5 },
          { offsetDelta: 1, key: null, value: text('no key') },
          { offsetDelta: 3, key: text('k/b'), value: null, timestampDelta: 2 ** 40 },
          {
            offsetDelta: 4,
            key: text('k/c'),
            value: big,
            headers: [
              ['h', text('v')],
              ['h2', Buffer.alloc(200)],
            ],
          },
          { offsetDelta: 5, key: Buffer.alloc(0), value: Buffer.alloc(0) },
        ],
      }),
      batch({ baseOffset: 16, records: [{ offsetDelta: 0, key: text('k/d'), value: text('4') }] }),
    ]);
    const { out, read } = await readAll(set);
    expect(out).toEqual([
      { offset: 10, key: 'k/a', value: '1' },
      { offset: 11, key: null, value: 'no key' },
      { offset: 13, key: 'k/b', value: null },
      { offset: 14, key: 'k/c', value: big.toString() },
      { offset: 15, key: '', value: '' },
      { offset: 16, key: 'k/d', value: '4' },
    ]);
    expect(read).toEqual({ nextOffset: 17, records: 6 });
  });

  it('gives views into the fetched bytes, not copies', async () => {
    const set = batch({ baseOffset: 0, records: [{ offsetDelta: 0, key: text('k'), value: text('v') }] });
    await readRecordSet(set, 0, [], (r) => {
      expect(r.value()?.buffer).toBe(set.buffer);
      expect(r.keyText()).toBe('k');
      expect(r.valueLength()).toBe(1);
    });
  });

  it('skips records before the fetch offset and leaves a partial last batch for the next fetch', async () => {
    const first = batch({
      baseOffset: 0,
      records: [0, 1, 2].map((i) => ({ offsetDelta: i, key: text(`k${i}`), value: text(`v${i}`) })),
    });
    const second = batch({
      baseOffset: 3,
      records: [{ offsetDelta: 0, key: text('k3'), value: text('v3') }],
    });
    const { out, read } = await readAll(Buffer.concat([first, second.subarray(0, second.length - 2)]), 1);
    expect(out.map((r) => r.offset)).toEqual([1, 2]);
    expect(read.nextOffset).toBe(3);
    expect((await readAll(second.subarray(0, 11))).read).toEqual({ nextOffset: undefined, records: 0 });
  });

  it('moves past a batch compaction emptied (its last offset delta survives)', async () => {
    const { out, read } = await readAll(batch({ baseOffset: 40, lastOffsetDelta: 9, records: [] }));
    expect(out).toEqual([]);
    expect(read.nextOffset).toBe(50);
  });

  it('drops aborted transactions up to their ABORT marker, never control records', async () => {
    const txn = (offset: number, producerId: number, value: string) =>
      batch({
        baseOffset: offset,
        producerId,
        transactional: true,
        records: [{ offsetDelta: 0, key: text('k'), value: text(value) }],
      });
    const set = Buffer.concat([
      txn(0, 7, 'committed-7'),
      marker(1, 7, 1),
      txn(2, 7, 'aborted-7'),
      txn(3, 8, 'committed-8'), // another producer, interleaved: kept
      txn(4, 7, 'aborted-7-again'),
      marker(5, 7, 0),
      marker(6, 8, 1),
      txn(7, 7, 'committed-7-later'), // after its ABORT marker: a new transaction
      marker(8, 7, 1),
      batch({ baseOffset: 9, records: [{ offsetDelta: 0, key: text('k'), value: text('plain') }] }),
    ]);
    const { out, read } = await readAll(set, 0, [{ producerId: '7', firstOffset: '2' }]);
    expect(out.map((r) => r.value)).toEqual(['committed-7', 'committed-8', 'committed-7-later', 'plain']);
    expect(read).toEqual({ nextOffset: 10, records: 4 });
    // Without the broker's list of aborted transactions every data record is committed.
    expect((await readAll(set)).out).toHaveLength(6);
  });

  it('drops an aborted transaction that began before the fetch offset', async () => {
    const set = Buffer.concat([
      batch({
        baseOffset: 5,
        producerId: 3,
        transactional: true,
        records: [{ offsetDelta: 0, key: text('k'), value: text('aborted') }],
      }),
      marker(6, 3, 0),
    ]);
    const { out } = await readAll(set, 5, [{ producerId: 3n, firstOffset: 1 }]);
    expect(out).toEqual([]);
  });

  it("reads what kafkajs' own encoder writes, gzip-compressed batches included", async () => {
    const require = createRequire(import.meta.url);
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
      RecordBatch: (o: object) => Promise<{ buffer: Buffer }>;
    };
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
    const records = Array.from({ length: 50 }, (_, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: i * 1_000,
        key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
        value: i % 5 === 0 ? null : Buffer.from(`value-${i}-${'y'.repeat(i * 3)}`),
        headers: { trace: Buffer.from(String(i)) },
      }),
    );
    for (const compression of [0, 1]) {
      const encoded = await RecordBatch({
        compression,
        firstOffset: Long.fromValue(1_000),
        lastOffsetDelta: 49,
        records,
      });
      const { out, read } = await readAll(encoded.buffer);
      expect(out).toEqual(
        Array.from({ length: 50 }, (_, i) => ({
          offset: 1_000 + i,
          key: i % 7 === 0 ? null : `key-${i}`,
          value: i % 5 === 0 ? null : `value-${i}-${'y'.repeat(i * 3)}`,
        })),
      );
      expect(read.nextOffset).toBe(1_050);
    }
  });

  it('refuses batches of the old message formats', async () => {
    const old = batch({ baseOffset: 0, records: [] });
    old.writeInt8(1, 16);
    await expect(readAll(old)).rejects.toThrow(/magic 1/);
  });
});
