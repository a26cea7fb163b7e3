import { describe, expect, it } from 'vitest';
import { isRead, placeholders, stringParams, unescapeText } from '../../../stack/clickhouse/engine.js';

describe('param_ values', () => {
  it('unescapes the text format @clickhouse/client and curl users send for strings', () => {
    expect(unescapeText("a\\tb\\nc\\\\d\\'e")).toBe("a\tb\nc\\d'e");
    expect(unescapeText('plain')).toBe('plain');
  });

  it('finds the placeholders typed as strings (only those are unescaped)', () => {
    const sql =
      'SELECT {a:String}, {b: Nullable(String)}, {c:LowCardinality(String)}, {d:UInt32}, {e:Array(String)}, {f:FixedString(3)}';
    expect([...stringParams(sql)].sort()).toEqual(['a', 'b', 'c', 'f']);
  });
});

describe('which queries run on a read connection', () => {
  it('plain SELECTs and WITH … SELECT, after comments and parentheses; nothing that writes', () => {
    for (const sql of [
      'SELECT 1',
      '  select 1',
      '-- c\nSELECT 1',
      '/* c */ (SELECT 1)',
      'WITH 1 AS x SELECT x',
    ])
      expect(isRead(sql), sql).toBe(true);
    for (const sql of [
      'INSERT INTO t SELECT 1',
      'CREATE TABLE t AS SELECT 1',
      'SET x = 1',
      'ALTER TABLE t DELETE WHERE 1',
      'SELECTX',
    ])
      expect(isRead(sql), sql).toBe(false);
  });

  it('names every placeholder, whatever its type (a read lacking one goes to the main connection)', () => {
    expect([
      ...placeholders('SELECT {a:String}, { b : Array(UInt8) }, {a:String}, {c:Map(String, UInt8)}'),
    ]).toEqual(['a', 'b', 'c']);
    expect(placeholders('SELECT 1').size).toBe(0);
  });
});
