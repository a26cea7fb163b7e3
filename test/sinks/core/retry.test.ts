import { describe, expect, it } from 'vitest';
import { EtlError } from '../../../lib/errors.js';
import { retryRetriable } from '../../../sinks/core/retry.js';
import type { RetryHooks } from '../../../sinks/core/retry.js';
import { TargetRefusal } from '../../../sinks/core/refusal.js';

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

  it('reports how long the call has been failing (the sink-stuck clock), and its end either way', async () => {
    let clock = 1000;
    const failing: number[] = [];
    const ended: string[] = [];
    const h: RetryHooks = {
      maxDelayMs: 5000,
      stopping: () => false,
      onRetry: (_w, _a, _d, _e, failingForMs) => failing.push(failingForMs),
      onSuccess: () => undefined,
      onEnd: (what, attempts) => ended.push(`${what} ${attempts}`),
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    };
    let calls = 0;
    await retryRetriable(
      'write batch',
      () => (++calls < 4 ? Promise.reject(retriable()) : Promise.resolve()),
      h,
    );
    expect(failing).toEqual([0, 100, 300]);
    const refused = new EtlError('CLICKHOUSE_ERROR', 'bad shape', { retriable: false });
    await expect(retryRetriable('write batch', () => Promise.reject(refused), h)).rejects.toBe(refused);
    expect(ended).toEqual(['write batch 4', 'write batch 1']);
  });

  it('a transient refusal is retried maxTransientAttempts times then rethrown (to split the batch); an unreachable target is not bounded', async () => {
    const { h, delays } = hooks();
    const busy = new TargetRefusal('CLICKHOUSE_ERROR', 'memory limit', 'transient', {
      serverCode: 'MEMORY_LIMIT_EXCEEDED',
    });
    let calls = 0;
    const bounded = { ...h, maxTransientAttempts: 3 };
    await expect(retryRetriable('write batch', () => (calls++, Promise.reject(busy)), bounded)).rejects.toBe(
      busy,
    );
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
    calls = 0;
    await retryRetriable(
      'write batch',
      () => (++calls < 10 ? Promise.reject(retriable()) : Promise.resolve()),
      bounded,
    );
    expect(calls).toBe(10);
    calls = 0;
    await retryRetriable('write batch', () => (++calls < 10 ? Promise.reject(busy) : Promise.resolve()), h);
    expect(calls).toBe(10);
  });

  it('a refused batch is rethrown at once', async () => {
    const { h, delays } = hooks();
    const refused = new TargetRefusal('POSTGRES_ERROR', 'check constraint', 'refused', {
      serverCode: '23514',
    });
    await expect(
      retryRetriable('write batch', () => Promise.reject(refused), { ...h, maxTransientAttempts: 5 }),
    ).rejects.toBe(refused);
    expect(delays).toEqual([]);
  });
});
