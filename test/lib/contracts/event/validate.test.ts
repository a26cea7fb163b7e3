import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../../lib/contracts/event/validate.js';

const now = Date.UTC(2026, 10, 21, 12);
const good = {
  event_id: '0193a5f2-7c1e-7d2b-9c3a-1b2c3d4e5f60',
  event_time: now - 1000,
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

describe('validateEvent', () => {
  it('accepts a valid event, and a missing customer_id as null', () => {
    expect(validateEvent(good, { now })).toEqual({ ok: true, event: good });
    const { customer_id: _omit, ...anonymous } = good;
    expect(validateEvent(anonymous, { now })).toEqual({
      ok: true,
      event: { ...anonymous, customer_id: null },
    });
  });

  it.each([
    [{ unit_price_cents: -1 }, 'unit_price_cents', 'must be ≥ 0'],
    [{ quantity: 0 }, 'quantity', 'must not be 0 (negative for a return)'],
    [{ quantity: '2' }, 'quantity', 'must be an integer, got string'],
    [{ event_time: now + 3_600_000 }, 'event_time', 'is more than 300 s in the future'],
    [{ event_time: 12 }, 'event_time', 'is before 2000-01-01T00:00:00.000Z'],
    [{ currency: 'eur' }, 'currency', 'must be an ISO 4217 code of three capital letters'],
    [{ channel: 'phone' }, 'channel', 'must be one of store, online, mobile'],
    [{ event_id: 'nope' }, 'event_id', 'must be a UUID string'],
    [{ colour: 'red' }, 'colour', 'unknown field'],
    [{ customer_id: 5 }, 'customer_id', 'must be a string or null, got number'],
  ])('rejects %j: %s %s', (patch, field, reason) => {
    const res = validateEvent({ ...good, ...patch }, { now });
    expect(res).toEqual({ ok: false, problems: [{ field, reason }] });
  });

  it('names every problem at once, and rejects non-objects', () => {
    const res = validateEvent({ ...good, quantity: 0, sku: '' }, { now });
    expect(res.ok ? [] : res.problems.map((p) => p.field)).toEqual(['sku', 'quantity']);
    expect(validateEvent([1], { now })).toEqual({
      ok: false,
      problems: [{ field: '(event)', reason: 'must be a JSON object, got array' }],
    });
    const { store_id: _s, ...missing } = good;
    expect(validateEvent(missing, { now })).toEqual({
      ok: false,
      problems: [{ field: 'store_id', reason: 'is required' }],
    });
  });
});
