/**
 * Raw record → CompactEvent, or the reason it is a dead letter. The one async step (fetching a
 * writer schema the first time its id appears) runs once per batch; a schema id the registry does
 * not know is a dead letter, a registry that does not answer is an error the batch retries.
 */
import { isEtlError } from '../../lib/errors.js';
import { schemaIdOf } from '../../lib/event/serde.js';
import type { SaleEventSerde } from '../../lib/event/serde.js';
import { describeProblems, validateEvent } from '../../lib/event/validate.js';
import type { CompactEvent } from './types.js';

export type DecodeResult = { ok: true; event: CompactEvent } | { ok: false; reason: string; detail: string };

export class EventDecoder {
  private readonly unknownIds = new Map<number, string>();

  constructor(private readonly serde: SaleEventSerde) {}

  async prepare(values: (Buffer | null)[]): Promise<void> {
    const ids = new Set<number>();
    for (const v of values) {
      const id = v ? schemaIdOf(v) : undefined;
      if (id !== undefined && !this.unknownIds.has(id)) ids.add(id);
    }
    for (const id of ids) {
      try {
        await this.serde.prepare(id);
      } catch (err) {
        if (isEtlError(err) && err.code === 'DECODE_FAILED' && !err.retriable)
          this.unknownIds.set(id, err.message);
        else throw err;
      }
    }
  }

  decode(value: Buffer | null): DecodeResult {
    if (value === null || value.length === 0)
      return { ok: false, reason: 'empty_value', detail: 'record has no value' };
    const id = schemaIdOf(value);
    if (id === undefined)
      return {
        ok: false,
        reason: 'bad_framing',
        detail: 'not Confluent Avro framing (magic byte 0 + 4-byte schema id)',
      };
    const unknown = this.unknownIds.get(id);
    if (unknown !== undefined) return { ok: false, reason: 'unknown_schema', detail: unknown };
    let raw;
    try {
      raw = this.serde.decodeSync(value);
    } catch (err) {
      return { ok: false, reason: 'bad_avro', detail: (err as Error).message };
    }
    const v = validateEvent(raw);
    if (!v.ok) return { ok: false, reason: 'invalid_event', detail: describeProblems(v.problems) };
    const e = v.event;
    return {
      ok: true,
      event: {
        id: e.event_id,
        t: e.event_time,
        store: e.store_id,
        sku: e.sku,
        qty: e.quantity,
        price: e.unit_price_cents,
        basket: e.basket_id,
      },
    };
  }
}
