import { describe, expect, it } from 'vitest';
import { sumFromJson } from '../../../lib/contracts/aggregates/sums.js';
import { HourlyLogic } from '../../../processors/hourly/logic.js';
import type { HourlyValue } from '../../../processors/hourly/logic.js';
import type { OutRecord } from '../../../processors/runtime/types.js';
import { HOUR } from '../../../processors/runtime/types.js';
import { MAX_PRICE, MAX_QTY, exactRevenue, limitLines, numberRevenue } from '../helpers/limits.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const LATENESS = 120_000;
const once = () => {
  const seen = new Set<string>();
  return (k: string) => !seen.has(k) && (seen.add(k), true);
};
const values = (out: OutRecord[]) => out.map((o) => JSON.parse(o.value as string) as HourlyValue);

describe('hourly at the limits of the contract (issue 11)', () => {
  // 9,100 sales and 50 returns of 10,000 × 100,000,000 cents plus one cent: 9,050 × 10^12 + 1,
  // above 2^53, where a JS number sum loses the last cent.
  const lines = limitLines(T0 + 1_000, 9_100, 50);
  const exact = exactRevenue(lines);

  it('sums revenue exactly beyond 2^53, returns included, in updates, finals and the changelog', () => {
    expect(exact).toBe(9_050n * 10n ** 12n + 1n);
    expect(BigInt(numberRevenue(lines))).not.toBe(exact);
    const logic = new HourlyLogic('h', LATENESS);
    const seen = once();
    const out: OutRecord[] = [];
    for (const e of lines) logic.add(e, seen);
    logic.flush(T0 + 30 * 60_000, (r) => out.push(r));
    const changes = new Map<string, string | null>();
    logic.takeChanges((k, v) => changes.set(k, v));
    logic.flush(T0 + HOUR + LATENESS, (r) => out.push(r));
    const [update, final] = values(out);
    expect(update).toMatchObject({ final: false, revenue_cents: exact.toString(), returns: 50 });
    expect(final).toMatchObject({
      final: true,
      revenue_cents: exact.toString(),
      quantity: (9_100 - 50) * MAX_QTY + 1,
      returns: 50,
      orders: 9_151,
      events: 9_151,
    });
    // What the sink reads back from the record: the same exact sum.
    expect(sumFromJson(final?.revenue_cents)).toBe(exact);

    // A restore from the changelog continues the exact sum.
    const restored = new HourlyLogic('h', LATENESS);
    for (const [k, v] of changes) if (v !== null) restored.restoreEntry(k, v);
    restored.restoredAt(T0 + 30 * 60_000);
    restored.add(
      { ...lines[0]!, id: 'one-more', t: T0 + 2_000_000, qty: -1, price: MAX_PRICE, basket: 'x' },
      once(),
    );
    const after: OutRecord[] = [];
    restored.flush(T0 + HOUR + LATENESS, (r) => after.push(r));
    expect(values(after).at(-1)?.revenue_cents).toBe((exact - BigInt(MAX_PRICE)).toString());
  });

  it('restores a changelog entry written with a number by an older version', () => {
    const logic = new HourlyLogic('h', LATENESS);
    const key = `${T0}\u0000S1\u0000K1`;
    logic.restoreEntry(key, JSON.stringify([3, 4_500, 0, 2, 1]));
    logic.restoredAt(T0);
    const out: OutRecord[] = [];
    logic.flush(T0 + HOUR + LATENESS, (r) => out.push(r));
    expect(values(out)).toEqual([expect.objectContaining({ revenue_cents: '4500', quantity: 3, events: 2 })]);
    expect(() => logic.restoreEntry(key, JSON.stringify([3, 2 ** 60, 0, 2, 1]))).toThrow(
      /not an exact integer sum/,
    );
  });
});
