/**
 * Rows whose values are awkward for COPY: tab, newline, CR, backslash, the literal text "\\N",
 * unicode beyond the BMP, a NULL customer_id, a negative quantity, an event time before 2000 and an
 * offset above 2^32. Shared by the COPY-format unit test and its round trip through real COPY.
 */
import type { SinkRow } from '../../../../sinks/core/contract.js';

export const AWKWARD_ROWS: SinkRow[] = [
  {
    event: {
      event_id: '01890a5d-ac96-774b-bcce-b302099a8057',
      event_time: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
      store_id: 'S\t1',
      sku: 'line1\nline2\r\n',
      quantity: -3,
      unit_price_cents: 1999,
      currency: 'EUR',
      channel: 'online',
      payment_type: 'gift_card',
      customer_id: null,
      basket_id: 'back\\slash\\N',
    },
    partition: 5,
    offset: 2 ** 33 + 7,
    kafkaTimestamp: Date.UTC(2025, 0, 2, 3, 4, 6, 1),
  },
  {
    event: {
      event_id: 'ffffffff-0000-7000-8000-000000000001',
      event_time: Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      store_id: 'Ünïcødé-店-🛒',
      sku: '\\N',
      quantity: 10_000,
      unit_price_cents: 100_000_000,
      currency: 'JPY',
      channel: 'store',
      payment_type: 'cash',
      customer_id: 'C\t\\\n🙂',
      basket_id: '',
    },
    partition: 0,
    offset: 0,
    kafkaTimestamp: 0,
  },
];
