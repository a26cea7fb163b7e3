import { describe, expect, it } from 'vitest';
import { chError, chServerCode } from '../../../sinks/clickhouse/errors.js';
import { failureKind } from '../../../sinks/core/refusal.js';

const kindOf = (type: string, message = `Code: 1. DB::Exception: x. (${type})`) =>
  failureKind(chError('insert', { type, message }));

describe('chError: classified by the ClickHouse exception name', () => {
  it('too many active parts is transient (merges catch up); an insert block over the partition limit is refused', () => {
    const parts = chError('insert', {
      type: 'TOO_MANY_PARTS',
      message:
        'Too many parts (3001). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)',
    });
    expect(parts).toMatchObject({ code: 'CLICKHOUSE_ERROR', retriable: true, serverCode: 'TOO_MANY_PARTS' });
    expect(failureKind(parts)).toBe('transient');
    const wide = chError('insert', {
      message:
        "Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting. (TOO_MANY_PARTS) (version 26.7.2.1)",
    });
    expect(wide).toMatchObject({ code: 'CLICKHOUSE_ERROR', retriable: false, serverCode: 'TOO_MANY_PARTS' });
    expect(failureKind(wide)).toBe('refused');
  });

  it.each([
    'VIOLATED_CONSTRAINT',
    'TYPE_MISMATCH',
    'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    'CANNOT_PARSE_UUID',
    'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
    'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
    'INCORRECT_DATA',
    'TOO_LARGE_STRING_SIZE',
  ])('%s is refused: the rows are split and the refused one dead-lettered', (type) => {
    expect(kindOf(type)).toBe('refused');
  });

  it.each([
    'MEMORY_LIMIT_EXCEEDED',
    'TIMEOUT_EXCEEDED',
    'TOO_MANY_SIMULTANEOUS_QUERIES',
    'TABLE_IS_READ_ONLY',
  ])('%s is transient: retried a bounded number of times, then the batch is split', (type) =>
    expect(kindOf(type)).toBe('transient'),
  );

  it('connection failures are unavailable, the client request timeout transient', () => {
    expect(
      failureKind(chError('query', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8123' })),
    ).toBe('unavailable');
    expect(failureKind(chError('query', new Error('socket hang up')))).toBe('unavailable');
    expect(failureKind(chError('query', new Error('Timeout error.')))).toBe('transient');
  });

  it.each([
    'SYNTAX_ERROR',
    'UNKNOWN_TABLE',
    'UNKNOWN_DATABASE',
    'ACCESS_DENIED',
    'AUTHENTICATION_FAILED',
    'NO_SUCH_COLUMN_IN_TABLE',
  ])('%s is fatal: the loop stops, nothing is dead-lettered', (type) => {
    const e = chError('insert', { type, message: 'x' });
    expect(failureKind(e)).toBe('fatal');
    expect(e.retriable).toBe(false);
  });

  it('the server code is read from the message when the error has no type', () => {
    expect(
      chServerCode({
        message:
          'Code: 469. DB::Exception: Constraint `q` for table t is violated at row 1. (VIOLATED_CONSTRAINT) (version 26.7.2.1)',
      }),
    ).toBe('VIOLATED_CONSTRAINT');
  });
});
