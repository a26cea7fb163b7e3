import { describe, expect, it } from 'vitest';
import type { TopSkusValue } from '../../../processors/top-skus/logic.js';
import { MergeState } from '../../../processors/top-skus/merge.js';
import type { PartialRecord, ReportRecord, StageRecord } from '../../../processors/top-skus/partial.js';
import { TopSkusPartialLogic } from '../../../processors/top-skus/partial.js';
import type { CompactEvent, OutRecord } from '../../../processors/runtime/types.js';
import { MAX_QTY, exactRevenue, limitLines, numberRevenue } from '../helpers/limits.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
// Revenue as a number: how partials of a version before exact sums look; the merge still reads them.
const partial = (src: number, h: number, s: [string, number, number][]): PartialRecord => ({
  k: 'p',
  src,
  h,
  s,
});
const report = (src: number, through: number | null, idle = false): ReportRecord => ({
  k: 'w',
  src,
  through,
  idle,
});
const tops = (outputs: { value: string | Buffer | null }[]) =>
  outputs.map((o) => JSON.parse(o.value as string) as TopSkusValue);

describe('top SKUs merge (stage 2)', () => {
  it('a SKU that is not in any partition top N can be first overall', () => {
    const m = new MergeState('top', 3, 1);
    // Per partition, "x" is second (rank N+1 for N=1); summed it is first.
    const out = m.apply(
      [
        partial(0, T0, [
          ['a', 100, 1],
          ['x', 90, 1],
        ]),
        partial(1, T0, [
          ['b', 100, 1],
          ['x', 90, 1],
        ]),
        partial(2, T0, [
          ['c', 100, 1],
          ['x', 90, 1],
        ]),
        report(0, T0),
        report(1, T0),
        report(2, T0),
      ],
      6,
    );
    const [v] = tops(out.outputs);
    expect(v?.top).toEqual([{ rank: 1, sku: 'x', revenue_cents: '270', quantity: 3 }]);
    expect(v?.skus_seen).toBe(4);
  });

  it('emits an hour only when every partition closed it, once, with rank() ties', () => {
    const m = new MergeState('top', 2, 2);
    let out = m.apply(
      [
        partial(0, T0, [
          ['a', 50, 1],
          ['b', 50, 2],
        ]),
        report(0, T0),
      ],
      2,
    );
    expect(out.outputs).toHaveLength(0);
    out = m.apply([partial(1, T0, [['c', 10, 1]]), report(1, T0 - H)], 4);
    expect(out.outputs).toHaveLength(0);
    out = m.apply([report(1, T0)], 5);
    expect(tops(out.outputs).map((v) => v.top.map((t) => [t.rank, t.sku]))).toEqual([
      [
        [1, 'a'],
        [1, 'b'],
      ],
    ]);
    expect(out.changelog).toContainEqual({ key: `h/${T0}`, value: null });
    out = m.apply([report(0, T0 + H), report(1, T0 + H)], 7);
    expect(out.outputs).toHaveLength(0);
  });

  it('an idle partition is left out of the minimum; its later sums for an emitted hour are late', () => {
    const m = new MergeState('top', 2, 3);
    m.apply([partial(0, T0, [['a', 5, 1]]), report(0, T0 - H, true)], 2);
    const out = m.apply([partial(1, T0, [['b', 7, 1]]), report(1, T0)], 4);
    expect(tops(out.outputs)[0]?.top.map((t) => t.sku)).toEqual(['b', 'a']);
    const late = m.apply([report(0, T0 - H), partial(0, T0, [['z', 1, 1]])], 6);
    expect(late.outputs).toHaveLength(0);
    expect(late.late).toEqual([partial(0, T0, [['z', 1, 1]])]);
  });

  it('waits while a partition never reported; when all are idle the furthest report closes', () => {
    const m = new MergeState('top', 2, 3);
    expect(m.apply([partial(0, T0, [['a', 5, 1]]), report(0, T0)], 2).outputs).toHaveLength(0);
    expect(m.apply([report(0, T0, true)], 3).outputs).toHaveLength(0);
    const out = m.apply([partial(1, T0, [['b', 1, 1]]), report(1, T0 - H, true)], 5);
    expect(tops(out.outputs).map((v) => v.window_start)).toEqual([new Date(T0).toISOString()]);
  });

  it('a restore from its changelog continues where it stopped', () => {
    const records: StageRecord[] = [
      partial(0, T0, [['a', 5, 1]]),
      report(0, T0),
      partial(1, T0, [
        ['a', 1, 1],
        ['b', 9, 1],
      ]),
      partial(1, T0 + H, [['c', 3, 1]]),
      report(1, T0),
      partial(0, T0 + H, [['c', 4, 1]]),
      report(0, T0 + H),
      report(1, T0 + H),
    ];
    const plain = new MergeState('top', 2, 3);
    const expected = tops(plain.apply(records, 8).outputs);
    const first = new MergeState('top', 2, 3);
    const changelog = new Map<string, string>();
    const out = first.apply(records.slice(0, 4), 4);
    const got = tops(out.outputs);
    for (const e of out.changelog) {
      if (e.value === null) changelog.delete(e.key);
      else changelog.set(e.key, e.value);
    }
    const second = new MergeState('top', 2, 3);
    second.restore(changelog);
    expect(second.next).toBe(4);
    got.push(...tops(second.apply(records.slice(4), 8).outputs));
    expect(got).toEqual(expected);
  });

  it('ranks and sums exactly beyond 2^53: two SKUs one cent apart are not a tie (issue 11)', () => {
    // A: 9,050 × 10^12 + 1 cents, B: one cent more; summed over two input partitions each.
    const a = limitLines(T0 + 1_000, 9_100, 50, 'A');
    const b = [
      ...limitLines(T0 + 1_000, 9_100, 50, 'B'),
      { id: 'b-extra', t: T0 + 500, store: 'S-MAX', sku: 'B', qty: 1, price: 1, basket: 'b-extra' },
    ];
    const stage = (src: number, lines: CompactEvent[]) => {
      const logic = new TopSkusPartialLogic('partials', 1, src, 60_000);
      for (const e of lines) logic.add(e);
      const out: OutRecord[] = [];
      logic.flush(T0 + 2 * H, (r) => out.push(r));
      return out.map((r) => JSON.parse(r.value as string) as StageRecord);
    };
    const half = (l: CompactEvent[], p: number) => l.filter((_, i) => i % 2 === p);
    const m = new MergeState('top', 2, 2);
    const out = m.apply(
      [...stage(0, [...half(a, 0), ...half(b, 0)]), ...stage(1, [...half(a, 1), ...half(b, 1)])],
      4,
    );
    const [v] = tops(out.outputs);
    expect(exactRevenue(b) - exactRevenue(a)).toBe(1n);
    expect(v?.top).toEqual([
      { rank: 1, sku: 'B', revenue_cents: exactRevenue(b).toString(), quantity: 9_050 * MAX_QTY + 2 },
      { rank: 2, sku: 'A', revenue_cents: exactRevenue(a).toString(), quantity: 9_050 * MAX_QTY + 1 },
    ]);
    // As JS numbers the two sums are not both exact (the old arithmetic could tie or misorder them).
    expect(BigInt(numberRevenue(a)) === exactRevenue(a) && BigInt(numberRevenue(b)) === exactRevenue(b)).toBe(
      false,
    );
  });
});
