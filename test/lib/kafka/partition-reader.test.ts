/**
 * The partition reader's own decoding of a Fetch response, on responses laid out by hand as a
 * broker sends them (v11, and v4 without the fields added since): the partition header, the list
 * of aborted transactions and the record set as a view of the response.
 */
import { describe, expect, it } from 'vitest';
import { decodeFetchResponse } from '../../../lib/kafka/partition-reader.js';

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}
function str(s: string): Buffer {
  return Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
}

function response(version: number, records: Buffer | null, errorCode = 0): Buffer {
  return Buffer.concat([
    int32(25), // throttle time
    ...(version >= 7 ? [int16(0), int32(0)] : []),
    int32(1),
    str('changelog'),
    int32(1),
    int32(3), // partition
    int16(errorCode),
    int64(120n), // high watermark
    int64(118n), // last stable offset
    ...(version >= 5 ? [int64(7n)] : []),
    int32(1),
    int64(4242n), // aborted: producer id
    int64(100n), // aborted: first offset
    ...(version >= 11 ? [int32(-1)] : []),
    records === null ? int32(-1) : Buffer.concat([int32(records.length), records]),
  ]);
}

describe('decodeFetchResponse', () => {
  const records = Buffer.from('record-set-bytes');

  it('decodes a v11 response down to the record set, a view of the response', () => {
    const raw = response(11, records);
    const decoded = decodeFetchResponse(raw, 11);
    expect(decoded.clientSideThrottleTime).toBe(25);
    const [topic] = decoded.responses;
    expect(topic?.topicName).toBe('changelog');
    const p = topic?.partitions[0];
    expect(p).toMatchObject({
      partition: 3,
      errorCode: 0,
      lastStableOffset: '118',
      abortedTransactions: [{ producerId: '4242', firstOffset: '100' }],
    });
    expect(p?.records.toString()).toBe('record-set-bytes');
    expect(p?.records.buffer).toBe(raw.buffer);
  });

  it('decodes a v4 response, a null record set and a record set cut short as empty', () => {
    const v4 = decodeFetchResponse(response(4, records), 4).responses[0]?.partitions[0];
    expect(v4?.lastStableOffset).toBe('118');
    expect(v4?.records.toString()).toBe('record-set-bytes');
    expect(decodeFetchResponse(response(11, null), 11).responses[0]?.partitions[0]?.records).toHaveLength(0);
    const cut = response(11, records).subarray(0, -3);
    expect(decodeFetchResponse(cut, 11).responses[0]?.partitions[0]?.records).toHaveLength(0);
  });

  it('keeps the error code for kafkajs to turn into its error', () => {
    expect(decodeFetchResponse(response(11, null, 1), 11).responses[0]?.partitions[0]?.errorCode).toBe(1);
  });

  it('refuses versions it does not know', () => {
    expect(() => decodeFetchResponse(response(11, records), 12)).toThrow(/v4 to v11/);
  });
});
