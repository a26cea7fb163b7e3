import { describe, expect, it } from 'vitest';
import type { DlqEntry } from '../../../../sinks/core/dlq/reader.js';
import type { DemoProof } from '../../../../bench/lib/demo/proof.js';
import { dlqCheck, proofFailures } from '../../../../bench/lib/demo/proof.js';

const entry = (partition: number, offset: number, topic = 'raw'): DlqEntry => ({
  dlqPartition: 0,
  dlqOffset: 0,
  failedAt: 0,
  reason: 'bad_framing',
  detail: '',
  sinks: ['postgres'],
  source: { topic, partition, offset },
  key: null,
  value: null,
  headers: {},
  replayCount: 0,
});

describe('dlqCheck', () => {
  it('counts the poison record found, a missing one as lost and any other dead letter as wrong', () => {
    expect(dlqCheck([entry(1, 7)], 'raw', [{ partition: 1, offset: 7 }])).toMatchObject({
      expected: 1,
      lost: 0,
      duplicated: 0,
      wrong: 0,
    });
    expect(dlqCheck([entry(1, 8), entry(2, 7, 'other')], 'raw', [{ partition: 1, offset: 7 }])).toMatchObject(
      { lost: 1, wrong: 2 },
    );
  });
});

describe('proofFailures', () => {
  const good: DemoProof = {
    topic: { records: 12, distinctIds: 10, amountCents: 500 },
    salesRaw: { records: 10, distinctIds: 10, amountCents: 500 },
    hourly: { revenueCents: 450, expectedCents: 450 },
    stores: [{ store: 'postgres sales_raw', expected: 10, lost: 0, duplicated: 0, wrong: 0 }],
    duplicate: { eventId: 'd', inTopic: 2, inSalesRaw: 1 },
    late: { eventId: 'l', processors: ['hourly'], inSalesRaw: 1 },
    poison: [{ position: { partition: 0, offset: 3 }, reasons: ['bad_framing'], stages: ['postgres'] }],
  };

  it('holds for exact stores and the injected events where they belong', () => {
    expect(proofFailures(good)).toEqual([]);
  });

  it('names every way it can fail', () => {
    const bad: DemoProof = {
      ...good,
      salesRaw: { records: 11, distinctIds: 10, amountCents: 501 },
      hourly: { revenueCents: 1, expectedCents: 450 },
      stores: [{ store: 'postgres sales_raw', expected: 10, lost: 1, duplicated: 0, wrong: 0 }],
      duplicate: { eventId: 'd', inTopic: 2, inSalesRaw: 2 },
      late: { eventId: 'l', processors: [], inSalesRaw: 1 },
      poison: [{ position: { partition: 0, offset: 3 }, reasons: [], stages: [] }],
    };
    const f = proofFailures(bad);
    expect(f).toHaveLength(7);
    expect(f[0]).toBe('postgres sales_raw: 1 lost, 0 duplicated, 0 wrong');
  });
});
