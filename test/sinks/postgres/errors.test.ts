import { describe, expect, it } from 'vitest';
import { pgError } from '../../../sinks/postgres/errors.js';
import { failureKind, isRefusal } from '../../../sinks/core/refusal.js';

const kindOf = (code: string, message = 'x') => failureKind(pgError('write', { code, message }));

describe('pgError: classified by SQLSTATE', () => {
  it.each([
    ['23514', 'check constraint'],
    ['23502', 'not null'],
    ['23505', 'unique'],
    ['23503', 'foreign key'],
    ['22003', 'numeric value out of range'],
    ['22001', 'string too long for the column'],
    ['22021', 'invalid byte sequence'],
    ['22P02', 'invalid text representation'],
    ['54000', 'program limit exceeded (row too big)'],
    ['54001', 'statement too complex'],
  ])('%s (%s) is refused: the rows are split and the refused one dead-lettered', (code) => {
    const e = pgError('COPY into sales_raw failed', { code, message: 'refused' });
    expect(isRefusal(e)).toBe(true);
    expect(e).toMatchObject({ code: 'POSTGRES_ERROR', serverCode: code, retriable: false, kind: 'refused' });
  });

  it.each(['40001', '40P01', '55P03', '57014', '53100', '53200'])(
    '%s is transient: retried, a bounded number of times',
    (code) => {
      expect(kindOf(code)).toBe('transient');
      expect(pgError('w', { code, message: 'x' }).retriable).toBe(true);
    },
  );

  it.each(['08006', '08001', '57P01', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET'])(
    '%s is unavailable: waited for without end',
    (code) => expect(kindOf(code)).toBe('unavailable'),
  );

  it('a dropped connection without a code is unavailable', () => {
    expect(failureKind(pgError('w', new Error('Connection terminated unexpectedly')))).toBe('unavailable');
  });

  it.each(['42P01', '42501', '28P01', '3D000', '42703', '25P02'])(
    '%s is fatal: the loop stops, nothing is dead-lettered',
    (code) => {
      const e = pgError('w', { code, message: 'x' });
      expect(failureKind(e)).toBe('fatal');
      expect(e.retriable).toBe(false);
    },
  );
});
