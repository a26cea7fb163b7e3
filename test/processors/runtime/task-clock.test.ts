/**
 * A client whose clock runs ahead cannot make other clients' on-time events late: the watermark
 * advances by min(event time, the time the record was accepted), so a fast-clock event counts in
 * its own window without closing windows early.
 */
import { describe, expect, it } from 'vitest';
import { HourlyLogic } from '../../../processors/hourly/logic.js';
import { TaskState } from '../../../processors/runtime/task.js';
import type { TaskRecord } from '../../../processors/runtime/task.js';
import type { CompactEvent } from '../../../processors/runtime/types.js';

const H = Date.UTC(2026, 0, 1, 8); // an hour boundary
const MIN = 60_000;
const LATENESS = 2 * MIN;

function event(id: string, t: number): CompactEvent {
  return { id, t, store: 'S1', sku: 'K1', qty: 1, price: 100, basket: `B-${id}` };
}

function lateIdsAfter(records: TaskRecord[]): string[] {
  const task = new TaskState(new HourlyLogic('h', LATENESS), {
    partitions: [0],
    outOfOrderMs: 5_000,
    segmentMaxEvents: 50,
  });
  const late: string[] = [];
  records.forEach((r, i) => {
    const out = task.processBatch(0, [{ ...r, offset: i }], i);
    for (const l of out.late) late.push(records[l.offset]?.event.id ?? '?');
  });
  return late;
}

describe('the watermark under a fast client clock', () => {
  // Wall clock 08:59:00. One client's clock is 4 minutes ahead; another's is right.
  const now = H + 59 * MIN;
  const fast = { offset: 0, event: event('fast', now + 4 * MIN), acceptedAt: now };
  const onTime = { offset: 0, event: event('on-time', now + 30_000), acceptedAt: now + 30_000 };
  const before = { offset: 0, event: event('before', now - 10_000), acceptedAt: now - 10_000 };

  it('keeps the other clients’ on-time events in their window', () => {
    expect(lateIdsAfter([before, fast, onTime])).toEqual([]);
  });

  it('would have made them late if the watermark followed the fast clock (the rule is what saves them)', () => {
    const { acceptedAt: _dropped, ...unclamped } = fast;
    // 08:59:30 belongs to the 08:00 window, closing at 09:02; the fast event alone moves the
    // watermark to 09:02:55 when its event time is trusted.
    expect(lateIdsAfter([before, unclamped, onTime])).toEqual(['on-time']);
  });

  it('still counts the fast-clock event in its own window', () => {
    const task = new TaskState(new HourlyLogic('h', LATENESS), {
      partitions: [0],
      outOfOrderMs: 5_000,
      segmentMaxEvents: 50,
    });
    const out = task.processBatch(0, [before, { ...fast, offset: 1 }], 1);
    expect(out.accepted).toBe(2);
    expect(out.late).toEqual([]);
    expect(task.watermark()).toBe(now - 5_000);
  });
});
