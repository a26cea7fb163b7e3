/** The settings every process reads: defaults, parsing, and validation of a bad value. */
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, sharedSetting } from '../../../lib/config/index.js';

describe('shared settings', () => {
  it('KAFKA_BROKERS: a trimmed list, the local broker by default', () => {
    expect(kafkaBrokers({})).toEqual(['127.0.0.1:9092']);
    expect(kafkaBrokers({ KAFKA_BROKERS: ' a:1, b:2 ,' })).toEqual(['a:1', 'b:2']);
  });

  it('RETAIL_LISTEN_HOST and SCHEMA_REGISTRY_URL fall back to their documented defaults', () => {
    expect(sharedSetting('listenHost', {})).toBe('127.0.0.1');
    expect(sharedSetting('listenHost', { RETAIL_LISTEN_HOST: '0.0.0.0' })).toBe('0.0.0.0');
    expect(sharedSetting('schemaRegistryUrl', {})).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  });

  it('a LOG_LEVEL that is not a level stops the process with the allowed values', () => {
    expect(sharedSetting('logLevel', { LOG_LEVEL: 'warn' })).toBe('warn');
    expect(() => sharedSetting('logLevel', { LOG_LEVEL: 'loud' })).toThrowError(
      'shared: logLevel must be one of debug, info, warn, error; got "loud" (env LOG_LEVEL)',
    );
  });
});
