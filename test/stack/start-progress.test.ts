import { describe, expect, it } from 'vitest';
import {
  JOIN_GRACE_MS,
  deadlineAfterProgress,
  describeProgress,
  parseStartProgress,
} from '../../stack/start-progress.js';

describe('start progress', () => {
  it('reads the progress a /readyz body reports, and nothing else', () => {
    expect(parseStartProgress('{"status":"restoring 63 %"}')).toEqual({
      kind: 'restoring',
      text: 'restoring 63 %',
    });
    expect(parseStartProgress('{"status":"joining consumer group retail-sink-postgres"}')).toEqual({
      kind: 'joining',
      text: 'joining consumer group retail-sink-postgres',
    });
    expect(parseStartProgress('{"status":"not ready"}')).toBeUndefined();
    expect(parseStartProgress('{"status":"ready"}')).toBeUndefined();
  });

  it('restoring moves the deadline a whole start timeout on, however long it lasts', () => {
    const o = { now: 10_000_000, startedAt: 0, startTimeoutMs: 60_000 };
    expect(deadlineAfterProgress('restoring 5 %', o)).toBe(10_060_000);
  });

  it('joining moves the deadline too, but never past the start timeout plus the grace', () => {
    const startedAt = 1_000_000;
    const early = { now: startedAt + 50_000, startedAt, startTimeoutMs: 60_000 };
    expect(deadlineAfterProgress('joining consumer group g', early)).toBe(startedAt + 110_000);
    const late = { now: startedAt + JOIN_GRACE_MS, startedAt, startTimeoutMs: 60_000 };
    expect(deadlineAfterProgress('joining consumer group g', late)).toBe(startedAt + 60_000 + JOIN_GRACE_MS);
  });

  it('says why a join may take a while', () => {
    expect(describeProgress('joining consumer group g')).toMatch(/died without leaving.*rebalance timeout/);
    expect(describeProgress('restoring 5 %')).toBe('restoring 5 %');
  });
});
