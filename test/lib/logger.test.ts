import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';

function capture(fields: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  createLogger('test', { write: (l) => lines.push(l) }).info('message', fields);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

describe('createLogger', () => {
  it('writes one JSON object with level, time, component, message and the correlation fields', () => {
    const lines: string[] = [];
    const log = createLogger('sink-postgres', { write: (l) => lines.push(l) }).child({ group: 'g1' });
    log.warn('flush retried', { partition: 3, offset: 42n });
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'warn',
      component: 'sink-postgres',
      msg: 'flush retried',
      group: 'g1',
      partition: 3,
      offset: '42',
    });
    expect(Date.parse(String(record['time']))).not.toBeNaN();
  });

  it('drops messages below the level', () => {
    const lines: string[] = [];
    createLogger('x', { level: 'warn', write: (l) => lines.push(l) }).info('hidden');
    expect(lines).toEqual([]);
  });

  it('never writes a secret: passwords in URLs and fields named like secrets are masked', () => {
    const r = capture({
      url: 'postgres://retail:hunter2@127.0.0.1:5432/retail',
      password: 'hunter2',
      nested: { apiKey: 'k-123', dbPassword: 'p-456', token: 't-789' },
      authorization: 'Bearer abc',
      passwordMinLength: 12,
      tokens: 5,
    });
    const text = JSON.stringify(r);
    for (const secret of ['hunter2', 'k-123', 'p-456', 't-789', 'Bearer abc'])
      expect(text).not.toContain(secret);
    expect(r['password']).toBe('***');
    expect(r['url']).toBe('postgres://retail:***@127.0.0.1:5432/retail');
    // Not secrets: a number whose name only starts with password, a count of tokens.
    expect(r['passwordMinLength']).toBe(12);
    expect(r['tokens']).toBe(5);
  });
});
