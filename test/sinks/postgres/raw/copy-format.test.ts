/**
 * The COPY payloads of sinks/postgres/raw/copy-format.ts, decoded back by an independent reader of
 * Postgres' two wire formats (text: backslash escapes, \N for NULL; binary: PGCOPY header,
 * length-prefixed fields, -1 for NULL, int8 micro-seconds since 2000-01-01 for timestamptz).
 * Awkward values: tab, newline, CR, backslash, the literal text "\N", unicode beyond the BMP,
 * a NULL customer_id, a negative quantity, an event time before 2000 (negative int8) and
 * offsets above 2^32 (the hi/lo int8 split).
 */
import { describe, expect, it } from 'vitest';
import type { SinkRow } from '../../../../sinks/core/contract.js';
import {
  BINARY_HEADER,
  BINARY_TRAILER,
  COPY_COLUMNS,
  binaryRows,
  copyChunks,
  textRows,
} from '../../../../sinks/postgres/raw/copy-format.js';
import { AWKWARD_ROWS } from './awkward-rows.js';

type Value = string | number | null;

/** Expected column values, as Postgres would store them (timestamps as epoch ms). */
function expectedValues(r: SinkRow): Value[] {
  const e = r.event;
  return [
    e.event_id,
    e.event_time,
    e.store_id,
    e.sku,
    e.quantity,
    e.unit_price_cents,
    e.currency,
    e.channel,
    e.payment_type,
    e.customer_id,
    e.basket_id,
    r.partition,
    r.offset,
    r.kafkaTimestamp,
  ];
}

const TIME_COLUMNS = new Set(['event_time', 'kafka_timestamp']);
const INT_COLUMNS = new Set(['quantity', 'unit_price_cents', 'kafka_partition', 'kafka_offset']);

/** Postgres' text COPY reader, for the escapes the writer may produce. */
function parseText(payload: string): Value[][] {
  expect(payload.endsWith('\n')).toBe(true);
  return payload
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const fields = line.split('\t');
      expect(fields).toHaveLength(COPY_COLUMNS.length);
      return fields.map((raw, i) => {
        if (raw === '\\N') return null;
        const s = raw.replace(/\\(.)/g, (_, c: string) =>
          c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c,
        );
        const col = COPY_COLUMNS[i] as string;
        if (TIME_COLUMNS.has(col)) return Date.parse(s);
        if (INT_COLUMNS.has(col)) return Number(s);
        return s;
      });
    });
}

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

function parseBinary(payload: Buffer): Value[][] {
  expect(payload.subarray(0, BINARY_HEADER.length).equals(BINARY_HEADER)).toBe(true);
  expect(payload.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  let pos = 19; // signature (11) + flags (4) + header extension length (4)
  const rows: Value[][] = [];
  for (;;) {
    const n = payload.readInt16BE(pos);
    pos += 2;
    if (n === -1) break;
    expect(n).toBe(COPY_COLUMNS.length);
    const row: Value[] = [];
    for (let i = 0; i < n; i++) {
      const len = payload.readInt32BE(pos);
      pos += 4;
      if (len === -1) {
        row.push(null);
        continue;
      }
      const field = payload.subarray(pos, pos + len);
      pos += len;
      const col = COPY_COLUMNS[i] as string;
      if (col === 'event_id') {
        expect(len).toBe(16);
        const h = field.toString('hex');
        row.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
      } else if (TIME_COLUMNS.has(col)) {
        expect(len).toBe(8);
        const micros = field.readBigInt64BE(0);
        expect(micros % 1000n).toBe(0n);
        row.push(Number(micros / 1000n) + PG_EPOCH_MS);
      } else if (col === 'quantity' || col === 'kafka_partition') {
        expect(len).toBe(4); // int4 columns
        row.push(field.readInt32BE(0));
      } else if (INT_COLUMNS.has(col)) {
        expect(len).toBe(8); // bigint columns
        row.push(Number(field.readBigInt64BE(0)));
      } else {
        row.push(field.toString('utf8'));
      }
    }
    rows.push(row);
  }
  expect(pos).toBe(payload.length);
  return rows;
}

describe('COPY text format', () => {
  it('escapes tab, newline, CR and backslash, writes \\N for NULL, keeps unicode and signs', () => {
    const out = textRows(AWKWARD_ROWS, 0, 1).toString('utf8');
    expect(out).toBe(
      [
        '01890a5d-ac96-774b-bcce-b302099a8057',
        '2025-01-02T03:04:05.678Z',
        'S\\t1',
        'line1\\nline2\\r\\n',
        '-3',
        '1999',
        'EUR',
        'online',
        'gift_card',
        '\\N',
        'back\\\\slash\\\\N',
        '5',
        String(2 ** 33 + 7),
        '2025-01-02T03:04:06.001Z',
      ].join('\t') + '\n',
    );
  });

  it('a text value "\\N" is not confused with NULL; every row decodes to its values', () => {
    const parsed = parseText(textRows(AWKWARD_ROWS, 0, AWKWARD_ROWS.length).toString('utf8'));
    expect(parsed).toEqual(AWKWARD_ROWS.map(expectedValues));
    expect(parsed[1]?.[3]).toBe('\\N');
    expect(parsed[0]?.[9]).toBeNull();
  });

  it('encodes unicode as UTF-8 bytes (4-byte emoji included)', () => {
    const buf = textRows(AWKWARD_ROWS, 1, 2);
    expect(buf.includes(Buffer.from('🛒', 'utf8'))).toBe(true);
    expect(buf.includes(Buffer.from('店', 'utf8'))).toBe(true);
  });
});

describe('COPY binary format', () => {
  it('decodes back to every value: uuid, negative int4, int8 above 2^32, pre-2000 timestamp, NULL', () => {
    const payload = Buffer.concat([
      BINARY_HEADER,
      binaryRows(AWKWARD_ROWS, 0, AWKWARD_ROWS.length),
      BINARY_TRAILER,
    ]);
    expect(parseBinary(payload)).toEqual(AWKWARD_ROWS.map(expectedValues));
  });

  it('writes a negative quantity as two’s complement int4 and a NULL as length -1', () => {
    const body = binaryRows(AWKWARD_ROWS, 0, 1);
    // int16 count, uuid (4+16), event_time (4+8), store_id (4+3), sku (4+13) → quantity field
    const q = 2 + 20 + 12 + 7 + 17;
    expect(body.readInt32BE(q)).toBe(4);
    expect(body.readInt32BE(q + 4)).toBe(-3);
    expect(body.subarray(q + 4, q + 8).toString('hex')).toBe('fffffffd');
  });

  it('grows its buffer for long values (rows far above the size estimate)', () => {
    const long: SinkRow[] = Array.from({ length: 3 }, (_, i) => ({
      ...(AWKWARD_ROWS[1] as SinkRow),
      event: { ...(AWKWARD_ROWS[1] as SinkRow).event, store_id: '€'.repeat(400 + i) },
    }));
    const payload = Buffer.concat([BINARY_HEADER, binaryRows(long, 0, long.length), BINARY_TRAILER]);
    expect(parseBinary(payload)).toEqual(long.map(expectedValues));
  });
});

describe('copyChunks', () => {
  const many: SinkRow[] = Array.from({ length: 5 }, (_, i) => ({
    ...(AWKWARD_ROWS[i % 2] as SinkRow),
    offset: i,
  }));

  it('text: chunks concatenate to the rows in order, no header or trailer', () => {
    const chunks = [...copyChunks(many, 'text', 2)];
    expect(chunks).toHaveLength(3);
    expect(parseText(Buffer.concat(chunks).toString('utf8'))).toEqual(many.map(expectedValues));
  });

  it('binary: header first, trailer last, rows in order across chunks', () => {
    const chunks = [...copyChunks(many, 'binary', 2)];
    expect(chunks).toHaveLength(5);
    expect(chunks[0]?.equals(BINARY_HEADER)).toBe(true);
    expect(chunks[4]?.equals(BINARY_TRAILER)).toBe(true);
    expect(parseBinary(Buffer.concat(chunks))).toEqual(many.map(expectedValues));
  });

  it('an empty batch is a valid, empty payload', () => {
    expect(Buffer.concat([...copyChunks([], 'text')]).length).toBe(0);
    expect(parseBinary(Buffer.concat([...copyChunks([], 'binary')]))).toEqual([]);
  });
});
