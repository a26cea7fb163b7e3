/**
 * Kafka record batches (magic v2) parsed straight from the bytes of a Fetch response, for reads
 * that need only each record's offset, key and value: a changelog restore. kafkajs' decoder builds
 * an object per record with string offsets and timestamps (Long arithmetic) and decoded headers —
 * most of a restore's time (issue 16). Here a record is a reused view of positions in the
 * response buffer: nothing is copied, headers are skipped by the record's length.
 *
 * read_committed as the broker expects the client to finish it (KIP-98): a Fetch at that level
 * stops at the last stable offset but still returns the records of aborted transactions below
 * it, with the list of aborted transactions (producer id, first offset) overlapping the returned
 * range. A transactional batch of a producer is dropped from its aborted transaction's first
 * offset until that producer's ABORT marker; control batches (the markers) are never records.
 * Compressed batches are inflated with kafkajs' codecs (gzip built in, others as registered).
 *
 * Layout (https://kafka.apache.org/documentation/#recordbatch), offsets from the batch start:
 *   0 baseOffset int64 · 8 batchLength int32 (bytes after it) · 12 partitionLeaderEpoch int32 ·
 *   16 magic int8 · 17 crc uint32 · 21 attributes int16 · 23 lastOffsetDelta int32 ·
 *   27 baseTimestamp int64 · 35 maxTimestamp int64 · 43 producerId int64 · 51 producerEpoch int16 ·
 *   53 baseSequence int32 · 57 records count int32 · 61 records.
 * Record: length varint · attributes int8 · timestampDelta varlong · offsetDelta varint ·
 *   key (varint length, −1 = null, bytes) · value (likewise) · headers (skipped).
 * Varints are zigzag-encoded base-128, least significant group first.
 */
import { createRequire } from 'node:module';
import { EtlError } from '../errors.js';

export const BATCH_HEADER_BYTES = 61;
const LOG_OVERHEAD = 12;
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
/** Control record type of an ABORT marker (key: version int16, type int16). */
const ABORT_MARKER = 0;

/** One record: a view into the fetch's buffer, valid until the next record is read. */
export class RecordView {
  offset = 0;
  buffer: Buffer = Buffer.alloc(0);
  /** −1 when the key is null. */
  keyStart = -1;
  keyEnd = -1;
  /** −1 when the value is null (a tombstone). */
  valueStart = -1;
  valueEnd = -1;

  /** The key's bytes (a subarray, not a copy), or null. */
  key(): Buffer | null {
    return this.keyStart < 0 ? null : this.buffer.subarray(this.keyStart, this.keyEnd);
  }

  /** The key as UTF-8 text (decoded from the buffer without a subarray), or undefined. */
  keyText(): string | undefined {
    return this.keyStart < 0 ? undefined : this.buffer.toString('utf8', this.keyStart, this.keyEnd);
  }

  /** The value's bytes (a subarray, not a copy), or null for a tombstone. */
  value(): Buffer | null {
    return this.valueStart < 0 ? null : this.buffer.subarray(this.valueStart, this.valueEnd);
  }

  valueLength(): number {
    return this.valueStart < 0 ? 0 : this.valueEnd - this.valueStart;
  }
}

export interface AbortedTransaction {
  producerId: string | bigint;
  firstOffset: string | bigint | number;
}

export interface RecordSetRead {
  /** Offset after the last complete batch (control and emptied batches included); undefined if none. */
  nextOffset: number | undefined;
  /** Data records passed to onRecord. */
  records: number;
}

/** Position after the varint last read by readVarint (a module cursor: no tuple per varint). */
export let varintEnd = 0;

/** Zigzag varint at `pos` of `buf` (its end in `varintEnd`). Throws past the buffer's end. */
export function readVarint(buf: Buffer, pos: number): number {
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++];
    if (b === undefined) throw new EtlError('KAFKA_ERROR', 'malformed record batch: a varint past its end');
    u += (b & 0x7f) * scale;
    if (b < 0x80) {
      varintEnd = pos;
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    scale *= 128;
  }
  throw new EtlError('KAFKA_ERROR', 'malformed record batch: a varint longer than 10 bytes');
}

const require = createRequire(import.meta.url);
const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodecByAttributes(attributes: number): { decompress(b: Buffer): Promise<Buffer> } | null;
};

/**
 * Walk the record batches of one partition's record set in offset order, calling `onRecord` for
 * every committed data record (offset ≥ `from`). A partial batch at the end (the fetch's byte
 * limit cut it) is left for the next fetch. The view passed to onRecord is reused.
 */
export async function readRecordSet(
  buf: Buffer,
  from: number,
  abortedTransactions: readonly AbortedTransaction[],
  onRecord: (r: RecordView) => void,
): Promise<RecordSetRead> {
  const aborted = abortedTransactions
    .map((t) => ({ producerId: BigInt(t.producerId), firstOffset: Number(t.firstOffset) }))
    .sort((a, b) => a.firstOffset - b.firstOffset);
  let nextAborted = 0;
  /** Producers inside an aborted transaction, until their ABORT marker. */
  const inAborted = new Set<bigint>();
  const view = new RecordView();
  const result: RecordSetRead = { nextOffset: undefined, records: 0 };
  let at = 0;
  while (at + LOG_OVERHEAD <= buf.length) {
    const batchLength = buf.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + batchLength;
    if (end > buf.length || batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD) break; // partial: next fetch
    const magic = buf.readInt8(at + 16);
    if (magic !== 2)
      throw new EtlError('KAFKA_ERROR', `record batch of magic ${magic}: only v2 batches can be read`);
    const baseOffset = Number(buf.readBigInt64BE(at));
    const attributes = buf.readInt16BE(at + 21);
    const lastOffset = baseOffset + buf.readInt32BE(at + 23);
    const producerId = buf.readBigInt64BE(at + 43);
    const count = buf.readInt32BE(at + 57);
    const control = (attributes & CONTROL_FLAG) !== 0;
    const transactional = (attributes & TRANSACTIONAL_FLAG) !== 0;
    // Aborted transactions that began at or before this batch: their producer's batches are dropped.
    while (nextAborted < aborted.length && (aborted[nextAborted]?.firstOffset as number) <= lastOffset) {
      inAborted.add((aborted[nextAborted] as { producerId: bigint }).producerId);
      nextAborted++;
    }
    let records = buf;
    let pos = at + BATCH_HEADER_BYTES;
    let stop = end;
    if ((attributes & COMPRESSION_MASK) !== 0) {
      const codec = lookupCodecByAttributes(attributes);
      if (!codec)
        throw new EtlError(
          'KAFKA_ERROR',
          `record batch compressed with codec ${attributes & COMPRESSION_MASK}: not supported`,
        );
      records = await codec.decompress(buf.subarray(pos, end));
      pos = 0;
      stop = records.length;
    }
    if (control) {
      if (transactional && count > 0 && isAbortMarker(records, pos)) inAborted.delete(producerId);
    } else if (!(transactional && inAborted.has(producerId)) && lastOffset >= from) {
      view.buffer = records;
      for (let i = 0; i < count && pos < stop; i++) {
        pos = readRecord(records, pos, baseOffset, view);
        if (view.offset < from) continue;
        result.records++;
        onRecord(view);
      }
    }
    result.nextOffset = lastOffset + 1;
    at = end;
  }
  return result;
}

/** Whether the first record at `pos` is a control record of type ABORT. */
function isAbortMarker(buf: Buffer, pos: number): boolean {
  const view = new RecordView();
  view.buffer = buf;
  readRecord(buf, pos, 0, view);
  return (
    view.keyStart >= 0 &&
    view.keyEnd - view.keyStart >= 4 &&
    buf.readInt16BE(view.keyStart + 2) === ABORT_MARKER
  );
}

/** Read the record at `pos` into `view`; returns the position after it. */
export function readRecord(buf: Buffer, pos: number, baseOffset: number, view: RecordView): number {
  const length = readVarint(buf, pos);
  pos = varintEnd;
  const end = pos + length;
  if (length < 0 || end > buf.length)
    throw new EtlError('KAFKA_ERROR', 'malformed record batch: a record past its end');
  pos++; // attributes (unused)
  // timestampDelta: a varlong, skipped.
  while (pos < end && ((buf[pos++] as number) & 0x80) !== 0);
  view.offset = baseOffset + readVarint(buf, pos);
  let n = readVarint(buf, varintEnd);
  pos = varintEnd;
  if (n < 0) view.keyStart = view.keyEnd = -1;
  else {
    view.keyStart = pos;
    pos += n;
    view.keyEnd = pos;
  }
  n = readVarint(buf, pos);
  pos = varintEnd;
  if (n < 0) view.valueStart = view.valueEnd = -1;
  else {
    view.valueStart = pos;
    pos += n;
    view.valueEnd = pos;
  }
  if (pos > end) throw new EtlError('KAFKA_ERROR', 'malformed record batch: a record past its end');
  return end;
}
