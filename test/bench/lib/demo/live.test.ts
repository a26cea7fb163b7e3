import { describe, expect, it } from 'vitest';
import type { LiveSample } from '../../../../bench/lib/demo/live.js';
import { rates } from '../../../../bench/lib/demo/live.js';

const at = (t: number, v: Record<string, number | undefined>): LiveSample => ({
  at: t,
  values: new Map(Object.entries(v)),
});

describe('rates', () => {
  it('turns counter deltas into per-second rates, and says down or restarted when it cannot', () => {
    const before = at(0, { produced: 100, 'raw rows': 500, 'operator inputs': undefined, 'agg rows': 10 });
    const after = at(2000, { produced: 300, 'raw rows': undefined, 'operator inputs': 4, 'agg rows': 2 });
    expect(rates(before, after)).toBe(
      'produced 100/s, raw rows down, operator inputs restarted, agg rows restarted',
    );
  });
});
