import { describe, expect, it } from 'vitest';
import type { RollingValue } from '../../../processors/rolling/logic.js';
import { RollingLogic } from '../../../processors/rolling/logic.js';
import type { OutRecord } from '../../../processors/runtime/types.js';
import { HOUR, MINUTE } from '../../../processors/runtime/types.js';
import { exactRevenue, limitLines, numberRevenue } from '../helpers/limits.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const LATENESS = 120_000;
const once = () => {
  const seen = new Set<string>();
  return (k: string) => !seen.has(k) && (seen.add(k), true);
};
const values = (out: OutRecord[]) => out.map((o) => JSON.parse(o.value as string) as RollingValue);

describe('rolling hour at the limits of the contract (issue 11)', () => {
  it('every window holds the exact sum beyond 2^53, and so does a restore from the changelog', () => {
    // Two minutes of lines at the limits, each minute alone past 2^53 (sales, returns, one cent).
    const a = limitLines(T0, 9_100, 50, 'K', 'S1');
    const b = limitLines(T0 + MINUTE, 9_200, 10, 'K', 'S1').map((e) => ({
      ...e,
      id: `b${e.id}`,
      basket: `b${e.basket}`,
    }));
    const both = exactRevenue([...a, ...b]);
    expect(BigInt(numberRevenue([...a, ...b]))).not.toBe(both);
    const logic = new RollingLogic('r', LATENESS);
    const seen = once();
    for (const e of [...a, ...b]) logic.add(e, seen);
    const changes = new Map<string, string | null>();
    logic.takeChanges((k, v) => changes.set(k, v));
    const out: OutRecord[] = [];
    logic.flush(T0 + 2 * HOUR + LATENESS, (r) => out.push(r));
    const byEnd = new Map(values(out).map((v) => [Date.parse(v.window_end), v.revenue_cents]));
    expect(byEnd.get(T0 + MINUTE)).toBe(exactRevenue(a).toString());
    expect(byEnd.get(T0 + 2 * MINUTE)).toBe(both.toString());
    expect(byEnd.get(T0 + HOUR)).toBe(both.toString());
    // The first minute left the window: the subtraction is exact too.
    expect(byEnd.get(T0 + HOUR + MINUTE)).toBe(exactRevenue(b).toString());
    expect(byEnd.size).toBe(61);

    const restored = new RollingLogic('r', LATENESS);
    for (const [k, v] of changes) if (v !== null) restored.restoreEntry(k, v);
    restored.restoredAt(T0 + 30 * MINUTE + LATENESS);
    const again: OutRecord[] = [];
    restored.flush(T0 + HOUR + LATENESS, (r) => again.push(r));
    expect(values(again).at(-1)).toMatchObject({
      window_end: new Date(T0 + HOUR).toISOString(),
      revenue_cents: both.toString(),
    });
  });
});
