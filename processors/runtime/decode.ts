/**
 * Raw record → CompactEvent, or the reason it is a dead letter: the shared RecordDecoder
 * (lib/contracts/event/decode.ts: the writer schema fetched once per new id per batch, an id the registry does
 * not know is a dead letter, a registry that does not answer is an error the batch retries;
 * default validation), mapped to the processors' compact form. The same validator as the sinks',
 * so the processors count exactly the events the raw tables store.
 */
import type { DlqReason } from '../../lib/contracts/dlq.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import type { SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { RecordDecoder } from '../../lib/contracts/event/decode.js';
import { sharedSetting } from '../../lib/config/shared.js';
import type { CompactEvent } from './types.js';

export type DecodeResult =
  { ok: true; event: CompactEvent } | { ok: false; reason: DlqReason; detail: string };

/** A valid sale event in the processors' compact form (also what benches and tests feed a task). */
export function compactEvent(e: SaleEvent): CompactEvent {
  return {
    id: e.event_id,
    t: e.event_time,
    store: e.store_id,
    sku: e.sku,
    qty: e.quantity,
    price: e.unit_price_cents,
    basket: e.basket_id,
  };
}

export class EventDecoder {
  private readonly decoder: RecordDecoder;

  constructor(serde: SaleEventSerde) {
    const maxFutureMs = sharedSetting('eventMaxFutureMs');
    this.decoder = new RecordDecoder(serde, () => ({ maxFutureMs }));
  }

  prepare(values: (Buffer | null)[]): Promise<void> {
    return this.decoder.prepareBatch(values);
  }

  /** `acceptedAt`: the record's Kafka timestamp (the time event times are judged against). */
  decode(value: Buffer | null, acceptedAt: number): DecodeResult {
    const d = this.decoder.decode(value, acceptedAt);
    if (!d.ok) return d;
    return { ok: true, event: compactEvent(d.event) };
  }
}
