import { describe, expect, it } from 'vitest';
import { EtlError } from '../../../lib/errors.js';
import { retryRetriable } from '../../../sinks/core/retry.js';
import type { RetryHooks } from '../../../sinks/core/retry.js';

function hooks(o: { stopping?: boolean; maxDelayMs?: number } = {}) {
  const delays: number[] = [];
  const log: string[] = [];
  const h: RetryHooks = {
    maxDelayMs: o.maxDelayMs ?? 1000,
    stopping: () => o.stopping ?? false,
    onRetry: (what, attempt, delayMs) => log.push(`retry ${what} #${attempt} ${delayMs}`),
    onSuccess: (what, attempts) => log.push(`ok ${what} after ${attempts}`),
    afterWait: () => log.push('beat'),
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
  return { h, delays, log };
}

const retriable = () => new EtlError('POSTGRES_ERROR', 'connection refused', { retriable: true });

describe('retryRetriable (the sinks retry policy)', () => {
  it('retries retriable errors with doubling back-off capped at maxDelayMs, then returns', async () => {
    const { h, delays, log } = hooks({ maxDelayMs: 500 });
    let calls = 0;
    const out = await retryRetriable(
      'write batch',
      () => (++calls < 6 ? Promise.reject(retriable()) : Promise.resolve('done')),
      h,
    );
    expect(out).toBe('done');
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(log.filter((l) => l === 'beat')).toHaveLength(5);
    expect(log.at(-1)).toBe('ok write batch after 6');
  });

  it('rethrows a non-retriable EtlError at once', async () => {
    const { h, delays } = hooks();
    const err = new EtlError('POSTGRES_ERROR', 'permission denied', { retriable: false });
    await expect(retryRetriable('write batch', () => Promise.reject(err), h)).rejects.toBe(err);
    expect(delays).toEqual([]);
  });

  it('wraps a plain error in an EtlError naming what failed', async () => {
    const { h } = hooks();
    await expect(retryRetriable('prepare batch', () => Promise.reject(new Error('boom')), h)).rejects.toThrow(
      'prepare batch failed: boom',
    );
  });

  it('does not retry while stopping', async () => {
    const { h, delays } = hooks({ stopping: true });
    await expect(retryRetriable('write batch', () => Promise.reject(retriable()), h)).rejects.toThrow(
      'connection refused',
    );
    expect(delays).toEqual([]);
  });
});
