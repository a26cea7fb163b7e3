import { describe, expect, it } from 'vitest';
import { describeSchema, readSetting, resolveConfig } from '../../../lib/config/index.js';
import type { Schema } from '../../../lib/config/index.js';

const schema = {
  rate: { type: 'int', min: 1, max: 50_000, default: 100, env: 'RATE', doc: 'events per second' },
  mode: { type: 'enum', values: ['fast', 'safe'], default: 'safe', doc: 'mode' },
  url: { type: 'string', env: 'SOME_URL', doc: 'where', secret: true },
  on: { type: 'bool', default: false, doc: 'switch' },
} satisfies Schema;

describe('resolveConfig', () => {
  it('explicit option beats environment beats default', () => {
    expect(resolveConfig('c', schema, { rate: 5 }, { RATE: '7' }).rate).toBe(5);
    expect(resolveConfig('c', schema, {}, { RATE: '7' }).rate).toBe(7);
    expect(resolveConfig('c', schema, {}, {}).rate).toBe(100);
    expect(resolveConfig('c', schema, { rate: undefined }, {}).rate).toBe(100);
  });

  it('rejects an unknown key, naming it and the allowed keys', () => {
    expect(() => resolveConfig('producer', schema, { rat: 5 }, {})).toThrowError(
      expect.objectContaining({
        code: 'CONFIG_UNKNOWN_KEY',
        message: 'producer: unknown config key "rat"',
        hint: 'allowed keys: rate, mode, url, on',
      }),
    );
  });

  it.each([
    [{ rate: '-5' }, 'producer: rate must be ≥ 1, got -5 (option)'],
    [{ rate: 'abc' }, 'producer: rate must be an integer, got "abc" (option)'],
    [{ rate: 1.5 }, 'producer: rate must be an integer, got 1.5 (option)'],
    [{ rate: 50_001 }, 'producer: rate must be ≤ 50000, got 50001 (option)'],
    [{ mode: 'turbo' }, 'producer: mode must be one of fast, safe; got "turbo" (option)'],
    [{ on: 'yes' }, 'producer: on must be true or false, got "yes" (option)'],
  ])('rejects %j with a precise message', (explicit, message) => {
    expect(() => resolveConfig('producer', schema, explicit, {})).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID', message }),
    );
  });

  it('names the environment variable a bad value came from, and never echoes a secret', () => {
    expect(() => resolveConfig('c', schema, {}, { RATE: 'x' })).toThrowError(
      'c: rate must be an integer, got "x" (env RATE)',
    );
    expect(() => resolveConfig('c', schema, { url: 42 }, {})).toThrowError(
      'c: url must be a non-empty string (option)',
    );
  });

  it('documents a schema as a markdown table', () => {
    expect(describeSchema(schema)).toContain('| `rate` | `RATE` | int | `100` | events per second |');
  });

  it('a required setting with no value stops start-up, naming the key and its variable', () => {
    const needs = { url: { type: 'string', env: 'THE_URL', required: true, doc: 'u' } } satisfies Schema;
    expect(() => resolveConfig('c', needs, {}, {})).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: 'c: url is not set (env THE_URL)' }),
    );
    expect(resolveConfig('c', needs, {}, { THE_URL: 'http://x' }).url).toBe('http://x');
    expect(resolveConfig('c', needs, { url: 'http://y' }, {}).url).toBe('http://y');
    expect(describeSchema(needs)).toContain('| `url` | `THE_URL` | string | **required** | u |');
  });

  it('reads one shared field on its own, validated like a schema', () => {
    const port = { type: 'int', env: 'SOME_PORT', default: 1, min: 1, doc: 'p' } as const;
    expect(readSetting('c', port, {})).toBe(1);
    expect(readSetting('c', port, { SOME_PORT: '7' })).toBe(7);
    expect(() => readSetting('c', port, { SOME_PORT: '0' })).toThrowError(
      'c: SOME_PORT must be ≥ 1, got 0 (env SOME_PORT)',
    );
  });
});
