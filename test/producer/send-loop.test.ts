import { describe, expect, it } from 'vitest';
import type { Batch } from '../../producer/batch.js';
import { producerMetrics } from '../../producer/metrics.js';
import type { SendLoopOptions } from '../../producer/send-loop.js';
import { runSendLoop } from '../../producer/send-loop.js';
import { TokenBucket } from '../../producer/token-bucket.js';

/**
 * A loop on a simulated clock: sleeping advances it, the bucket earns tokens on it, the builder
 * makes n-record batches and `send` acknowledges (or not) at once.
 */
function harness(over: Partial<SendLoopOptions> & { rate?: number; ack?: (n: number) => boolean } = {}) {
  let now = 0;
  const state = { rate: over.rate ?? 1000, paused: false, stopping: false };
  const sent: number[] = [];
  const acknowledged: number[] = [];
  const lost: number[] = [];
  const builder = {
    generated: 0,
    build(n: number): Batch {
      this.generated += n;
      return {
        messages: Array.from({ length: n }, () => ({ value: null })),
        bytes: 0,
        dups: 0,
        late: 0,
        returns: 0,
      };
    },
  };
  const options: SendLoopOptions = {
    count: undefined,
    batchSize: 100,
    lingerMs: 5,
    deadline: Infinity,
    state,
    bucket: new TokenBucket(state.rate, { now: () => now }),
    sleep: async (ms) => {
      now += ms;
    },
    builder,
    send: async (messages) => {
      sent.push(messages.length);
      return over.ack?.(sent.length) ?? true;
    },
    throughput: {
      acknowledged: (b) => acknowledged.push(b.messages.length),
      lost: (b) => lost.push(b.messages.length),
    },
    metrics: producerMetrics(),
    now: () => now,
    ...over,
  };
  return { options, state, sent, acknowledged, lost, builder, clock: () => now };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('runSendLoop', () => {
  it('stops at the count, in batches of at most batchSize, all acknowledged', async () => {
    const h = harness({ count: 1050 });
    await runSendLoop(h.options);
    expect(sum(h.sent)).toBe(1050);
    expect(Math.max(...h.sent)).toBeLessThanOrEqual(100);
    expect(h.acknowledged).toEqual(h.sent);
    expect(h.builder.generated).toBe(1050);
  });

  it('paces by the bucket: 1000/s for 2 simulated seconds sends about 2000', async () => {
    const h = harness({ deadline: 2000 });
    await runSendLoop(h.options);
    expect(sum(h.sent)).toBeGreaterThanOrEqual(1900);
    expect(sum(h.sent)).toBeLessThanOrEqual(2000);
    expect(h.clock()).toBeGreaterThanOrEqual(2000);
  });

  it('sends nothing while paused, and stops when asked', async () => {
    const h = harness({
      sleep: async () => {
        h.state.stopping = true;
      },
    });
    h.state.paused = true;
    await runSendLoop(h.options);
    expect(h.sent).toEqual([]);
  });

  it('ends after a batch that was not acknowledged (a stop during an outage), counting it lost', async () => {
    const h = harness({ count: 1000, ack: (n) => n < 3 });
    await runSendLoop(h.options);
    expect(h.acknowledged).toHaveLength(2);
    expect(h.lost).toEqual([h.sent[2]]);
    expect(sum(h.acknowledged) + sum(h.lost)).toBe(sum(h.sent));
    expect(sum(h.sent)).toBeLessThan(1000);
  });

  it('propagates a fatal send error', async () => {
    const h = harness({ count: 10, send: () => Promise.reject(new Error('refused')) });
    await expect(runSendLoop(h.options)).rejects.toThrow('refused');
  });
});
