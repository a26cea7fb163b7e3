import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../lib/uuid.js';

describe('uuidv7', () => {
  it('is an RFC 9562 version-7 UUID carrying the millisecond timestamp', () => {
    const id = uuidv7(Date.UTC(2026, 10, 21, 12, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 21, 12, 0, 0, 123));
  });

  it('sorts by time and is deterministic for a given random source', () => {
    const zero = (b: Uint8Array) => b.fill(7);
    expect(uuidv7(1000, zero)).toBe(uuidv7(1000, zero));
    expect(uuidv7(1000) < uuidv7(2000)).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7(5))).size).toBe(1000);
  });
});
