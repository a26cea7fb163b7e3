import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import type { EventSource } from '../../producer/batch.js';
import { BatchBuilder, createGenerator } from '../../producer/batch.js';
import { resolveProducerConfig } from '../../producer/config.js';
import type { GeneratedEvent } from '../../producer/generator.js';
import { producerMetrics } from '../../producer/metrics.js';

const START = Date.UTC(2024, 4, 17, 9, 0, 0);
const silent = createLogger('test', { write: () => undefined });

function config(extra: Record<string, string> = {}) {
  return resolveProducerConfig({ seed: '7', startTime: String(START), rate: '1000', ...extra }, {});
}

/** A source that replays the given generated events, then repeats the last one. */
function replay(events: GeneratedEvent[]): EventSource {
  let i = 0;
  return { next: () => events[Math.min(i++, events.length - 1)]! };
}

function builder(source: EventSource, validate = true) {
  const metrics = producerMetrics();
  const encode = (e: GeneratedEvent['event']) => Buffer.from(JSON.stringify(e));
  return {
    metrics,
    b: new BatchBuilder({ source, encode, validate, metrics, log: silent, now: () => START }),
  };
}

describe('createGenerator', () => {
  it('with a start time, regenerates the same sequence from the same config', () => {
    const take = (n: number) => {
      const g = createGenerator(config());
      return Array.from({ length: n }, () => g.next().event);
    };
    const a = take(200);
    expect(take(200)).toEqual(a);
    // The simulated clock advances 1000 / rate ms per event pulled: 200 events span 200 ms.
    const times = a.map((e) => e.event_time);
    expect(Math.max(...times)).toBeLessThanOrEqual(START + 200);
    expect(Math.max(...times)).toBeGreaterThan(START + 150);
  });
});

describe('BatchBuilder', () => {
  it('keys records by store, counts bytes, duplicates, returns and late events', () => {
    const gen = createGenerator(config({ duplicateShare: '0.2', returnShare: '0.2', lateShare: '0.2' }));
    const pulled: GeneratedEvent[] = Array.from({ length: 500 }, () => gen.next());
    const { b } = builder(replay(pulled));
    const batch = b.build(500);
    expect(b.generated).toBe(500);
    expect(batch.messages).toHaveLength(500);
    expect(batch.messages.map((m) => m.key)).toEqual(pulled.map((g) => g.event.store_id));
    const bytes = batch.messages.reduce((n, m) => n + (m.value as Buffer).length, 0);
    expect(batch.bytes).toBe(bytes);
    expect(batch.dups).toBe(pulled.filter((g) => g.duplicate).length);
    expect(batch.returns).toBe(pulled.filter((g) => !g.duplicate && g.event.quantity < 0).length);
    expect(batch.late).toBe(pulled.filter((g) => g.late).length);
    expect(batch.dups).toBeGreaterThan(0);
    expect(batch.returns).toBeGreaterThan(0);
    expect(batch.late).toBeGreaterThan(0);
  });

  it('skips and counts an event that fails validation, but still counts it as generated', async () => {
    const good = createGenerator(config()).next();
    const bad: GeneratedEvent = { ...good, event: { ...good.event, quantity: 0 } };
    const { b, metrics } = builder(replay([good, bad, good]));
    const batch = b.build(3);
    expect(b.generated).toBe(3);
    expect(batch.messages).toHaveLength(2);
    const errors = await metrics.errors.get();
    expect(errors.values.find((v) => v.labels['kind'] === 'invalid_generated')?.value).toBe(1);
  });

  it('sends an invalid event as is when validation is off', () => {
    const good = createGenerator(config()).next();
    const bad: GeneratedEvent = { ...good, event: { ...good.event, quantity: 0 } };
    const { b } = builder(replay([bad]), false);
    expect(b.build(1).messages).toHaveLength(1);
  });
});
