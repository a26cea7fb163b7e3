import { describe, expect, it } from 'vitest';
import { cutoffDay, expiredDays, expiredMonths } from '../../../../sinks/clickhouse/raw/retention.js';

describe('ClickHouse retention: which partitions expire', () => {
  const now = Date.UTC(2026, 11, 2, 23, 59); // 2026-12-02, late in the day

  it('keeps retentionDays days, today included (UTC)', () => {
    expect(cutoffDay(1, now)).toBe(20261202);
    expect(cutoffDay(3, now)).toBe(20261130);
    expect(cutoffDay(30, Date.UTC(2026, 2, 1))).toBe(20260131);
  });

  it('day partitions before the cutoff expire, the cutoff day and later (and future days) stay', () => {
    expect(
      expiredDays(['20261202', '20261130', '20261129', '20250101', '20270101', 'tuple()'], 20261130),
    ).toEqual(['20250101', '20261129']);
  });

  it('an id month expires only when all its days are before the cutoff', () => {
    expect(expiredMonths(['202612', '202611', '202610', '202401'], 20261130)).toEqual(['202401', '202610']);
    expect(expiredMonths(['202611'], 20261201)).toEqual(['202611']);
  });
});
