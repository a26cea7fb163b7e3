import { describe, expect, it } from 'vitest';
import { chError } from '../../../sinks/clickhouse/errors.js';

describe('chError', () => {
  it('too many active parts is retriable (merges catch up); an insert block over the partition limit is not', () => {
    const parts = chError('insert', {
      type: 'TOO_MANY_PARTS',
      message:
        'Too many parts (3001). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)',
    });
    expect(parts).toMatchObject({ code: 'CLICKHOUSE_ERROR', retriable: true, serverCode: 'TOO_MANY_PARTS' });
    const wide = chError('insert', {
      message:
        "Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting. (TOO_MANY_PARTS)",
    });
    expect(wide).toMatchObject({ code: 'CLICKHOUSE_ERROR', retriable: false });
  });

  it('connection failures are retriable, a syntax error is not', () => {
    expect(
      chError('query', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8123' }).retriable,
    ).toBe(true);
    expect(chError('query', { type: 'SYNTAX_ERROR', message: 'Syntax error' }).retriable).toBe(false);
  });
});
