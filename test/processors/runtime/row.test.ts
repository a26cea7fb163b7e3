/**
 * parseRow reads the operators' state rows from the changelog's bytes and always gives what
 * JSON.parse gives — the rows it reads itself and everything it hands over to JSON.parse.
 */
import { describe, expect, it } from 'vitest';
import { parseRow } from '../../../processors/runtime/row.js';

const rows = [
  // what the operators write: hourly, rolling, top SKUs
  '[3,"129900",0,2,1]',
  '[-1,"-9900",1,1,0]',
  '["12345678901234567890123",7]',
  '[0,"0",0,0,0]',
  '[]',
  '["SKU-é∂",1]',
  '[-0,5]',
  '[123456789012345,-123456789012345]',
  // handed to JSON.parse: what the fast path does not read itself
  '[1.5,2]',
  '[1e3]',
  '[1234567890123456789]',
  '["a\\"b",1]',
  '[ 1, 2 ]',
  '[null,true,false]',
  '[[1,2],{"a":1}]',
  '{"lastHour":1736154000000}',
  '"text"',
  '7',
];

describe('parseRow', () => {
  it('gives what JSON.parse gives, from bytes and from text', () => {
    for (const row of rows) {
      expect(parseRow(Buffer.from(row)), row).toEqual(JSON.parse(row));
      expect(parseRow(row), row).toEqual(JSON.parse(row));
    }
    expect(Object.is((parseRow(Buffer.from('[-0]')) as number[])[0], -0)).toBe(true);
  });

  it('throws on what is not JSON, like JSON.parse', () => {
    for (const bad of ['[1,]', '[01]', '[', '["open]', '[1 2]', '[-]', '']) {
      expect(() => JSON.parse(bad), bad).toThrow(SyntaxError);
      expect(() => parseRow(Buffer.from(bad)), bad).toThrow(SyntaxError);
    }
  });

  it('reads a row inside a larger buffer (a record of a fetch)', () => {
    const fetched = Buffer.from('xx[4,"400",0,1,1]yy');
    expect(parseRow(fetched.subarray(2, fetched.length - 2))).toEqual([4, '400', 0, 1, 1]);
  });
});
