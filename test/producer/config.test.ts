import { describe, expect, it } from 'vitest';
import { parseDuration, resolveProducerConfig } from '../../producer/config.js';

describe('producer config', () => {
  it('rejects a negative or non-numeric rate with one line naming the key', () => {
    expect(() => resolveProducerConfig({ rate: '-5' }, {})).toThrow(/rate must be ≥ 1, got -5/);
    expect(() => resolveProducerConfig({ rate: 'abc' }, {})).toThrow(/rate must be an integer, got "abc"/);
    expect(() => resolveProducerConfig({}, { PRODUCER_RATE: '1.5' })).toThrow(/env PRODUCER_RATE/);
  });

  it('refuses a start rate above the cap', () => {
    expect(() => resolveProducerConfig({ rate: '60000' }, {})).toThrow(
      expect.objectContaining({ code: 'RATE_ABOVE_CAP' }) as Error,
    );
    expect(resolveProducerConfig({ rate: '60000', maxRate: '100000' }, {}).rate).toBe(60000);
  });

  it('rejects unknown keys, bad durations, future start times and bad currencies', () => {
    expect(() => resolveProducerConfig({ speed: 1 }, {})).toThrow(/unknown config key "speed"/);
    expect(() => resolveProducerConfig({ duration: 'soon' }, {})).toThrow(
      /duration must be a positive duration/,
    );
    expect(() => resolveProducerConfig({ startTime: String(Date.now() + 3_600_000) }, {})).toThrow(
      /in the future/,
    );
    expect(() => resolveProducerConfig({ currency: 'eur' }, {})).toThrow(/currency/);
  });

  it('option > env > default', () => {
    expect(resolveProducerConfig({}, {}).rate).toBe(100);
    expect(resolveProducerConfig({}, { PRODUCER_RATE: '250' }).rate).toBe(250);
    expect(resolveProducerConfig({ rate: '300' }, { PRODUCER_RATE: '250' }).rate).toBe(300);
    expect(resolveProducerConfig({ seed: '12' }, {}).seed).toBe(12);
    expect(resolveProducerConfig({ duration: '2m' }, {}).durationMs).toBe(120_000);
  });

  it('parses durations', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });
});
