/** One valid sale event and the clock it is valid at, for the tests of everything that validates ids and events. */
export const NOW = Date.UTC(2026, 10, 21, 12);

export const VALID_EVENT = {
  event_id: '0193a5f2-7c1e-7d2b-9c3a-1b2c3d4e5f60',
  event_time: NOW - 1000,
  store_id: 'S001',
  sku: 'SKU-1',
  quantity: 2,
  unit_price_cents: 250,
  currency: 'EUR',
  channel: 'store',
  payment_type: 'cash',
  customer_id: 'C-9',
  basket_id: 'B-1',
};
