/**
 * COPY payloads for `sales_raw`, in Postgres' text format or its binary format. Both are built in
 * chunks of rows so memory stays flat; bench/sink-postgres.bench.ts measures one against the other.
 */
import type { SinkRow } from '../../core/contract.js';
import { STORED_FIELDS } from '../../raw/dedup.js';

/**
 * Columns in COPY order: the stored event fields (one list, shared with the dedup's content
 * comparison), then the record's Kafka coordinates; `ingested_at` is left to its DEFAULT now().
 */
export const COPY_COLUMNS = [...STORED_FIELDS, 'kafka_partition', 'kafka_offset', 'kafka_timestamp'] as const;

export type CopyFormat = 'text' | 'binary';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function esc(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

const iso = (ms: number) => new Date(ms).toISOString();

export function textRows(rows: SinkRow[], from: number, to: number): Buffer {
  let out = '';
  for (let i = from; i < to; i++) {
    const r = rows[i] as SinkRow;
    const e = r.event;
    out +=
      `${e.event_id}\t${iso(e.event_time)}\t${esc(e.store_id)}\t${esc(e.sku)}\t${e.quantity}\t` +
      `${e.unit_price_cents}\t${esc(e.currency)}\t${e.channel}\t${e.payment_type}\t` +
      `${e.customer_id === null ? '\\N' : esc(e.customer_id)}\t${esc(e.basket_id)}\t` +
      `${r.partition}\t${r.offset}\t${iso(r.kafkaTimestamp)}\n`;
  }
  return Buffer.from(out, 'utf8');
}

export const BINARY_HEADER = Buffer.concat([
  Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  Buffer.alloc(8), // flags + header extension length
]);
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const TWO_32 = 4_294_967_296;

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  int16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }
  int32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }
  /** A safe integer as int8 (hi/lo words; BigInt per value costs too much). */
  int64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.pos = this.buf.writeInt32BE(hi, this.pos);
    this.pos = this.buf.writeUInt32BE(v - hi * TWO_32, this.pos);
  }
  field4(v: number): void {
    this.int32(4);
    this.int32(v);
  }
  field8(v: number): void {
    this.int32(8);
    this.int64(v);
  }
  timestamptz(ms: number): void {
    this.field8((ms - PG_EPOCH_MS) * 1000);
  }
  text(s: string | null): void {
    if (s === null) return this.int32(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(4 + n);
    this.pos = this.buf.writeInt32BE(n, this.pos);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  uuid(s: string): void {
    this.ensure(20);
    this.pos = this.buf.writeInt32BE(16, this.pos);
    const hex = s.length === 36 ? s.replace(/-/g, '') : s;
    this.pos += this.buf.write(hex, this.pos, 'hex');
  }
}

export function binaryRows(rows: SinkRow[], from: number, to: number): Buffer {
  const w = new Writer((to - from) * 220 + 64);
  for (let i = from; i < to; i++) {
    const r = rows[i] as SinkRow;
    const e = r.event;
    w.int16(COPY_COLUMNS.length);
    w.uuid(e.event_id);
    w.timestamptz(e.event_time);
    w.text(e.store_id);
    w.text(e.sku);
    w.field4(e.quantity);
    w.field8(e.unit_price_cents);
    w.text(e.currency);
    w.text(e.channel);
    w.text(e.payment_type);
    w.text(e.customer_id);
    w.text(e.basket_id);
    w.field4(r.partition);
    w.field8(r.offset);
    w.timestamptz(r.kafkaTimestamp);
  }
  return w.buf.subarray(0, w.pos);
}

/** The whole COPY payload as a sequence of chunks (header and trailer included for binary). */
export function* copyChunks(rows: SinkRow[], format: CopyFormat, chunkRows = 2000): Generator<Buffer> {
  if (format === 'binary') yield BINARY_HEADER;
  for (let i = 0; i < rows.length; i += chunkRows) {
    const to = Math.min(rows.length, i + chunkRows);
    yield format === 'binary' ? binaryRows(rows, i, to) : textRows(rows, i, to);
  }
  if (format === 'binary') yield BINARY_TRAILER;
}
