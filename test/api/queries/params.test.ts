import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../api/http.js';
import { sku, source, storeId } from '../../../api/queries/params.js';
import { validateEvent } from '../../../lib/contracts/event/validate.js';
import { NOW, VALID_EVENT } from '../../lib/contracts/event/valid-event.js';

const event = (id: string) => ({ ...VALID_EVENT, store_id: id, sku: id });

describe('query API id parameters', () => {
  it('accept exactly the ids the event contract accepts', () => {
    const ids = ['S0001', 'S|1', 'a"b', 'back\\slash', '店', '', 'S\u0000', 'S\t', 'S\u202e'];
    ids.push('🛒'.repeat(64), '🛒'.repeat(65));
    for (const id of ids) {
      const ingest = validateEvent(event(id), { now: NOW }).ok;
      const query = (f: (v: string) => string) => {
        try {
          return f(id) === id;
        } catch (err) {
          if (err instanceof HttpError && err.status === 400) return false;
          throw err;
        }
      };
      expect([id, query(storeId), query(sku)]).toEqual([id, ingest, ingest]);
    }
  });

  it('a refusal names the parameter and the reason', () => {
    expect(() => storeId(undefined)).toThrow('store_id is required');
    expect(() => sku('S\u0000')).toThrow('sku contains a NUL character (U+0000) at position 1');
  });
});

describe('query API source parameter', () => {
  it('is postgres by default, clickhouse on request, a 400 naming the choices otherwise', () => {
    expect(source(new URL('http://h/v1/top-skus'))).toBe('postgres');
    expect(source(new URL('http://h/v1/top-skus?source='))).toBe('postgres');
    expect(source(new URL('http://h/v1/top-skus?source=clickhouse'))).toBe('clickhouse');
    expect(source(new URL('http://h/v1/top-skus?source=postgres'))).toBe('postgres');
    try {
      source(new URL('http://h/v1/top-skus?source=ClickHouse'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(400);
      expect((err as HttpError).message).toBe('source must be one of postgres, clickhouse, got "ClickHouse"');
    }
  });
});
