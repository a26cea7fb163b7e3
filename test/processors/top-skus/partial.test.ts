import { describe, expect, it } from 'vitest';
import { TaskState } from '../../../processors/runtime/task.js';
import type { CompactEvent } from '../../../processors/runtime/types.js';
import type { PartialRecord, ReportRecord, StageRecord } from '../../../processors/top-skus/partial.js';
import { TopSkusPartialLogic, closedThrough } from '../../../processors/top-skus/partial.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const L = 60_000;
const ev = (i: number, t: number, sku: string, qty = 1, price = 100): CompactEvent => ({
  id: `e${i}`,
  t,
  store: 'S1',
  sku,
  qty,
  price,
  basket: `B${i}`,
});
const task = () =>
  new TaskState([{ name: 'top-skus', logic: new TopSkusPartialLogic('partials', 2, 3, L) }], {
    partitions: [3],
    outOfOrderMs: 5_000,
    dedupHorizonMs: 300_000,
  });
const parse = (o: { value: string | Buffer | null }[]) =>
  o.map((r) => JSON.parse(r.value as string) as StageRecord);

describe('top SKUs stage 1 (per partition)', () => {
  it('closedThrough: the last hour whose end + lateness the watermark passed', () => {
    expect(closedThrough(-Infinity, L)).toBe(-Infinity);
    expect(closedThrough(T0 + H + L, L)).toBe(T0);
    expect(closedThrough(T0 + H + L - 1, L)).toBe(T0 - H);
  });

  it('forwards every SKU of a closed hour and a progress report to every partials partition', () => {
    const t = task();
    const recs = [ev(1, T0 + 10, 'a'), ev(2, T0 + 20, 'b', 2), ev(3, T0 + 2 * H, 'c')];
    const out = t.processBatch(
      3,
      recs.map((event, offset) => ({ offset, event })),
      2,
    );
    const partials = parse(out.outputs).filter((r): r is PartialRecord => r.k === 'p');
    expect(partials).toEqual([
      {
        k: 'p',
        src: 3,
        h: T0,
        s: [
          ['a', '100', 1],
          ['b', '200', 2],
        ],
      },
    ]);
    const reports = out.outputs.filter((o) => (JSON.parse(o.value as string) as StageRecord).k === 'w');
    expect(reports.map((r) => r.partition)).toEqual([0, 1]);
    expect(JSON.parse(reports[0]?.value as string) as ReportRecord).toEqual({
      k: 'w',
      src: 3,
      through: T0,
      idle: false,
    });
  });

  it('idle: forwards the open sums once, and after a restore does not forward them again', () => {
    const changelog = new Map<string, string | Buffer>();
    const keep = (c: { key: string; value: string | Buffer | null }[]) => {
      for (const e of c)
        if (e.value === null) changelog.delete(e.key);
        else changelog.set(e.key, e.value);
    };
    const first = task();
    keep(first.processBatch(3, [{ offset: 0, event: ev(1, T0 + 10, 'a') }], 0).changelog);
    const idle = first.idle();
    expect(idle).toBeDefined();
    keep(idle?.changelog ?? []);
    const sent = parse(idle?.outputs ?? []);
    expect(sent).toContainEqual({ k: 'p', src: 3, h: T0, s: [['a', '100', 1]] });
    expect(sent).toContainEqual({ k: 'w', src: 3, through: T0 - 2 * H, idle: true });
    expect(first.idle()).toBeUndefined();

    // Restored from the changelog, the partition resumes: only the new sales of the hour follow.
    const second = task();
    second.restoreSync(changelog);
    const out = second.processBatch(
      3,
      [
        { offset: 1, event: ev(2, T0 + 20, 'a', 3) },
        { offset: 2, event: ev(3, T0 + 3 * H, 'z') },
      ],
      2,
    );
    const records = parse(out.outputs);
    expect(records.filter((r) => r.k === 'p')).toEqual([{ k: 'p', src: 3, h: T0, s: [['a', '300', 3]] }]);
    expect(records).toContainEqual({ k: 'w', src: 3, through: T0 + H, idle: false });
  });
});
