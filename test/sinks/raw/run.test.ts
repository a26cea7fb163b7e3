/** The raw sinks' configuration is checked as a whole at start-up (sinks/raw/run.ts). */
import { describe, expect, it } from 'vitest';
import { resolveSinkConfig } from '../../../sinks/raw/run.js';

const env = { DATABASE_URL: 'postgres://retail_sink:x@127.0.0.1:5432/retail' };

describe('resolveSinkConfig (postgres)', () => {
  it('does not migrate unless told: `make up` migrates as the owner', () => {
    expect(resolveSinkConfig('postgres', {}, env).target).toMatchObject({ migrate: false });
  });

  it('refuses a retention shorter than the floor the retention function enforces', () => {
    expect(() => resolveSinkConfig('postgres', { retentionDays: 3 }, env)).toThrow(
      /retentionDays 3 is below retentionMinDays 7/,
    );
    expect(
      resolveSinkConfig('postgres', { retentionDays: 3, retentionMinDays: 3 }, env).target,
    ).toMatchObject({
      retentionDays: 3,
      retentionMinDays: 3,
    });
    // Retention off: nothing is ever removed, whatever the numbers.
    expect(() =>
      resolveSinkConfig('postgres', { retentionDays: 3, retentionMode: 'off' }, env),
    ).not.toThrow();
  });
});

describe('resolveSinkConfig (clickhouse)', () => {
  it('refuses a retention shorter than the floor the native server enforces, naming the settings', () => {
    const ch = { CLICKHOUSE_URL: 'http://retail_sink:x@127.0.0.1:8123' };
    expect(() => resolveSinkConfig('clickhouse', { retentionDays: 3 }, ch)).toThrow(
      /sink-clickhouse: retentionDays 3 is below retentionMinDays 7/,
    );
    try {
      resolveSinkConfig('clickhouse', { retentionDays: 3 }, ch);
    } catch (err) {
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', retriable: false });
      expect((err as { hint: string }).hint).toContain('SINK_CLICKHOUSE_RETENTION_MIN_DAYS');
    }
    expect(resolveSinkConfig('clickhouse', {}, ch).target).toMatchObject({
      retentionDays: 365,
      retentionMinDays: 7,
    });
  });
});
