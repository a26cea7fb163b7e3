/**
 * Every consumer judges an event's time against the time its record was accepted (the Kafka record
 * timestamp), not the time it reads it: one verdict at ingest, in the sinks, in the processors and on
 * any later replay. The serde is stubbed (its Avro is tested in serde.int.test.ts against the registry).
 */
import { describe, expect, it } from 'vitest';
import { RecordDecoder } from '../../../../lib/contracts/event/decode.js';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import type { SaleEventSerde } from '../../../../lib/contracts/event/serde.js';
import { NOW, VALID_EVENT } from './valid-event.js';

const MIN = 60_000;
const framed = Buffer.from([0, 0, 0, 0, 1, 0x42]); // magic byte, schema id 1, a body the stub ignores

function decoderFor(event: SaleEvent): RecordDecoder {
  const serde = { decodeSync: () => event, prepare: async () => undefined } as unknown as SaleEventSerde;
  return new RecordDecoder(serde, () => ({ maxFutureMs: 5 * MIN }));
}

describe('RecordDecoder: event times against the record timestamp', () => {
  const accepted = NOW - 3_600_000; // the record was accepted an hour before it is read

  it('accepts an event up to the allowance ahead of its record, however late it is read', () => {
    const d = decoderFor({ ...VALID_EVENT, event_time: accepted + 4 * MIN } as SaleEvent);
    expect(d.decode(framed, accepted)).toMatchObject({ ok: true });
  });

  it('refuses an event further ahead of its record, although it is in the past when read', () => {
    const d = decoderFor({ ...VALID_EVENT, event_time: accepted + 6 * MIN } as SaleEvent);
    expect(d.decode(framed, accepted)).toEqual({
      ok: false,
      reason: 'invalid_event',
      detail: 'event_time is more than 300 s in the future',
    });
  });

  it('falls back to the reader’s clock for a record without a usable timestamp', () => {
    const d = decoderFor({ ...VALID_EVENT, event_time: Date.now() + 6 * MIN } as SaleEvent);
    for (const ts of [undefined, Number.NaN, -1]) expect(d.decode(framed, ts)).toMatchObject({ ok: false });
    const ok = decoderFor({ ...VALID_EVENT, event_time: Date.now() } as SaleEvent);
    expect(ok.decode(framed, Number.NaN)).toMatchObject({ ok: true });
  });
});
