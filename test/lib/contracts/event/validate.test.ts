import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../../lib/contracts/event/validate.js';
import { NOW, VALID_EVENT } from './valid-event.js';

const now = NOW;
const good = VALID_EVENT;

describe('validateEvent', () => {
  it('accepts the contract limits exactly and refuses one past them (issue 11: sums are sized from these)', () => {
    const at = (patch: Record<string, unknown>) => validateEvent({ ...good, ...patch }, { now });
    for (const patch of [
      { quantity: 10_000, unit_price_cents: 100_000_000 },
      { quantity: -10_000, unit_price_cents: 100_000_000 },
      { quantity: 1, unit_price_cents: 0 },
    ])
      expect(at(patch).ok, JSON.stringify(patch)).toBe(true);
    const problem = (patch: Record<string, unknown>) => {
      const v = at(patch);
      return v.ok ? 'accepted' : v.problems.map((p) => `${p.field} ${p.reason}`).join('; ');
    };
    expect(problem({ quantity: 10_001 })).toBe('quantity must be within ±10000');
    expect(problem({ quantity: -10_001 })).toBe('quantity must be within ±10000');
    expect(problem({ unit_price_cents: 100_000_001 })).toBe('unit_price_cents must be ≤ 100000000');
    expect(problem({ quantity: 2 ** 53 })).toBe('quantity must be an integer, got number');
    expect(problem({ unit_price_cents: 2 ** 53 })).toBe(
      'unit_price_cents must be an integer number of cents, got number',
    );
    expect(problem({ unit_price_cents: 99.5 })).toBe(
      'unit_price_cents must be an integer number of cents, got number',
    );
  });

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

describe('the character policy of ids', () => {
  const reasonOf = (patch: Record<string, unknown>) => {
    const res = validateEvent({ ...good, ...patch }, { now });
    return res.ok ? 'ok' : res.problems.map((p) => `${p.field} ${p.reason}`).join('; ');
  };

  it.each([
    ['sku', 'SKU-\u0000-1', 'sku contains a NUL character (U+0000) at position 4'],
    ['store_id', 'S\t1', 'store_id contains the control character U+0009 at position 1'],
    ['basket_id', 'B\n', 'basket_id contains the control character U+000A at position 1'],
    ['basket_id', 'B\r', 'basket_id contains the control character U+000D at position 1'],
    ['sku', 'x\u007f', 'sku contains the control character U+007F at position 1'],
    ['sku', '\u0085next-line', 'sku contains the control character U+0085 at position 0'],
    ['store_id', 'S\u202e1000', 'store_id contains the control character U+202E at position 1'],
    ['store_id', '\u2066S', 'store_id contains the control character U+2066 at position 0'],
    ['customer_id', 'C\u200f', 'customer_id contains the control character U+200F at position 1'],
    ['sku', '🛒\ud83d', 'sku contains a lone surrogate (U+D83D) at position 1: not valid Unicode'],
    ['sku', '\ude00', 'sku contains a lone surrogate (U+DE00) at position 0: not valid Unicode'],
  ])('refuses %s %j', (field, value, reason) => {
    expect(reasonOf({ [field]: value })).toBe(reason);
  });

  it('accepts separators, quotes, backslashes, non-Latin text and 64 emoji; refuses 65 characters', () => {
    for (const value of ['S|1', 'a"b\'c', 'back\\slash', 'Ünïcødé-店', '🛒'.repeat(64), 'x'.repeat(64)])
      expect(reasonOf({ store_id: value, sku: value, basket_id: value, customer_id: value })).toBe('ok');
    expect(reasonOf({ sku: '🛒'.repeat(65) })).toBe('sku must be at most 64 characters');
    expect(reasonOf({ sku: 'x'.repeat(65) })).toBe('sku must be at most 64 characters');
  });
});
