import { describe, expect, it } from 'vitest';
import {
  decodeKey,
  encodeKey,
  hourlyKey,
  parseHourlyKey,
  parseRollingKey,
  parseTopSkusKey,
  rollingKey,
  topSkusKey,
} from '../../../../lib/contracts/aggregates/keys.js';

const W = Date.parse('2025-03-03T09:00:00.000Z');

describe('aggregate keys', () => {
  it('ids without separators give the plain join (the format on the topics today)', () => {
    expect(hourlyKey({ window_start: W, store_id: 'S0001', sku: 'SKU-42' })).toBe(
      '2025-03-03T09:00:00.000Z|S0001|SKU-42',
    );
    expect(rollingKey({ store_id: 'S0001', window_end: W })).toBe('S0001|2025-03-03T09:00:00.000Z');
    expect(topSkusKey({ window_start: W })).toBe('2025-03-03T09:00:00.000Z');
  });

  it('two different (store, sku) pairs never make the same key, whatever the ids hold', () => {
    const ids = ['a', 'a|b', 'b', 'b|c', 'c', '|', '\\', 'a\\', '\\|', '', 'x\\|y'];
    const seen = new Map<string, string>();
    for (const store of ids)
      for (const sku of ids) {
        const key = hourlyKey({ window_start: W, store_id: store, sku });
        const pair = JSON.stringify([store, sku]);
        expect(seen.get(key) ?? pair).toBe(pair);
        seen.set(key, pair);
        expect(parseHourlyKey(key)).toEqual({ window_start: W, store_id: store, sku });
      }
    expect(seen.size).toBe(ids.length * ids.length);
  });

  it('round-trips rolling and top-SKUs keys', () => {
    for (const store of ['S|9', 'S\\9', 'plain'])
      expect(parseRollingKey(rollingKey({ store_id: store, window_end: W }))).toEqual({
        store_id: store,
        window_end: W,
      });
    expect(parseTopSkusKey(topSkusKey({ window_start: W }))).toEqual({ window_start: W });
  });

  it('refuses keys that are not well-formed', () => {
    expect(decodeKey('a\\x')).toBeUndefined();
    expect(decodeKey('trailing\\')).toBeUndefined();
    expect(parseHourlyKey('no-separators')).toBeUndefined();
    expect(parseHourlyKey('not-a-time|S|K')).toBeUndefined();
    expect(parseHourlyKey(`${new Date(W).toISOString()}|S|K|extra`)).toBeUndefined();
    expect(parseRollingKey('S|yesterday')).toBeUndefined();
    expect(parseTopSkusKey('soon')).toBeUndefined();
    expect(encodeKey(['a|b', 'c'])).toBe('a\\|b|c');
  });
});
