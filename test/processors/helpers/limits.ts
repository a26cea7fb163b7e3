/**
 * Lines at the limits of the event contract (issue 11): the largest quantity times the largest
 * unit price, sales and returns, enough of them in one key that the sum passes 2^53 and a JS
 * number sum goes wrong. The limits come from the one validator, so the tests follow the contract.
 */
import { VALIDATION_DEFAULTS } from '../../../lib/contracts/event/validate.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { uuidv7 } from '../../../lib/uuid.js';
import type { CompactEvent } from '../../../processors/runtime/types.js';

export const MAX_QTY = VALIDATION_DEFAULTS.maxQuantity;
export const MAX_PRICE = VALIDATION_DEFAULTS.maxUnitPriceCents;

/**
 * `sales` lines of +MAX_QTY × MAX_PRICE, one line of 1 × 1 cent, then `returns` lines of
 * −MAX_QTY × MAX_PRICE, all of one store and SKU at event times from `t` (1 ms apart, so they stay
 * in one minute for up to 60,000 lines).
 */
export function limitLines(
  t: number,
  sales: number,
  returns: number,
  sku = 'SKU-MAX',
  store = 'S-MAX',
): CompactEvent[] {
  const line = (i: number, qty: number, price: number): CompactEvent => ({
    id: `${store}-${sku}-${i}`,
    t: t + i,
    store,
    sku,
    qty,
    price,
    basket: `${store}-${sku}-B${i}`,
  });
  const out: CompactEvent[] = [];
  for (let i = 0; i < sales; i++) out.push(line(i, MAX_QTY, MAX_PRICE));
  out.push(line(sales, 1, 1));
  for (let i = 0; i < returns; i++) out.push(line(sales + 1 + i, -MAX_QTY, MAX_PRICE));
  return out;
}

/** The exact revenue of `lines`. */
export const exactRevenue = (lines: CompactEvent[]): bigint =>
  lines.reduce((s, e) => s + BigInt(e.qty) * BigInt(e.price), 0n);

/** What a JS number sum makes of it (the old processors' arithmetic): shows the test can fail. */
export const numberRevenue = (lines: CompactEvent[]): number =>
  lines.reduce((s, e) => s + e.qty * e.price, 0);

/** The same lines as sale events (for the integration tests' input), each with its own basket. */
export const asSaleEvents = (lines: CompactEvent[]): SaleEvent[] =>
  lines.map((e) => ({
    event_id: uuidv7(e.t),
    event_time: e.t,
    store_id: e.store,
    sku: e.sku,
    quantity: e.qty,
    unit_price_cents: e.price,
    currency: 'EUR',
    channel: 'online',
    payment_type: 'card',
    customer_id: null,
    basket_id: e.basket,
  }));
