import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { producerMetrics } from '../../producer/metrics.js';
import { retryDelayMs, Sender } from '../../producer/sender.js';

const silent = createLogger('test', { write: () => undefined });
const kafkaError = (type: string) => Object.assign(new Error(type.toLowerCase()), { type });

/** A sendOnce that fails with the given errors, then succeeds; records every call's messages. */
function flaky(errors: Error[]) {
  const calls: unknown[][] = [];
  return {
    calls,
    sendOnce: (messages: unknown[]) => {
      calls.push(messages);
      const err = errors.shift();
      return err ? Promise.reject(err) : Promise.resolve();
    },
  };
}

async function errorCount(metrics: ReturnType<typeof producerMetrics>, kind: string) {
  return (await metrics.errors.get()).values.find((v) => v.labels['kind'] === kind)?.value ?? 0;
}

describe('Sender', () => {
  it('retries the very same records until acknowledged, backing off, and is unhealthy meanwhile', async () => {
    const metrics = producerMetrics();
    const k = flaky([kafkaError('NOT_LEADER_FOR_PARTITION'), new Error('Connection error')]);
    const waits: number[] = [];
    const health: boolean[] = [];
    const sender = new Sender({
      sendOnce: k.sendOnce,
      metrics,
      log: silent,
      sleep: async (ms) => {
        waits.push(ms);
        health.push(sender.healthy);
      },
    });
    const messages = [{ key: 'S0001', value: Buffer.from('x') }];
    expect(await sender.send(messages)).toBe(true);
    expect(k.calls).toHaveLength(3);
    for (const call of k.calls) expect(call).toBe(messages);
    expect(waits).toEqual([retryDelayMs(1), retryDelayMs(2)]);
    expect(health).toEqual([false, false]);
    expect(sender.healthy).toBe(true);
    expect(await errorCount(metrics, 'send')).toBe(2);
  });

  it('backs off from 400 ms, doubling, to at most 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(retryDelayMs)).toEqual([400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it('stops with an EtlError keeping the server code when retrying cannot help', async () => {
    const metrics = producerMetrics();
    const k = flaky([kafkaError('MESSAGE_TOO_LARGE')]);
    const sender = new Sender({ sendOnce: k.sendOnce, metrics, log: silent, sleep: async () => undefined });
    await expect(sender.send([])).rejects.toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'MESSAGE_TOO_LARGE',
      hint: 'lower --batch-size',
    });
    expect(k.calls).toHaveLength(1);
    expect(await errorCount(metrics, 'fatal')).toBe(1);
  });

  it('gives up (false) once a stop’s grace has run out', async () => {
    let now = 1000;
    const k = flaky(Array.from({ length: 100 }, () => new Error('Connection error')));
    const sender = new Sender({
      sendOnce: k.sendOnce,
      metrics: producerMetrics(),
      log: silent,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    sender.giveUpAfter = 3000;
    expect(await sender.send([])).toBe(false);
    expect(sender.healthy).toBe(false);
    // 1000 → 1400 → 2200 → 3800: the failure seen after 3000 is the last try.
    expect(k.calls).toHaveLength(4);
  });
});
