import { describe, expect, it } from 'vitest';
import { stringParams, unescapeText } from '../../../stack/clickhouse/engine.js';

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
