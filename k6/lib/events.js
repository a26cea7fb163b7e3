// Sale events for the ingest profiles: valid by the contract (docs/events.md), keyed across a
// fixed set of stores and SKUs so the aggregates have something to group.
const CHANNELS = ['store', 'online', 'mobile'];
const PAYMENTS = ['card', 'cash', 'wallet', 'gift_card'];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export function saleEvent(now) {
  const quantity = Math.random() < 0.05 ? -1 : 1 + Math.floor(Math.random() * 3);
  return {
    event_id: crypto.randomUUID(),
    event_time: now - Math.floor(Math.random() * 2000),
    store_id: `S${String(1 + Math.floor(Math.random() * 50)).padStart(3, '0')}`,
    sku: `SKU-${1 + Math.floor(Math.random() * 500)}`,
    quantity,
    unit_price_cents: 99 + Math.floor(Math.random() * 5000),
    currency: 'EUR',
    channel: pick(CHANNELS),
    payment_type: pick(PAYMENTS),
    customer_id: Math.random() < 0.3 ? null : `C${Math.floor(Math.random() * 100000)}`,
    basket_id: `B${Math.floor(Math.random() * 1e9)}`,
  };
}

export function batch(size) {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < size; i++) events.push(saleEvent(now));
  return events;
}
