import { describe, expect, it } from 'vitest';
import { HourlyLogic } from '../../../processors/hourly/logic.js';
import type { HourlyValue } from '../../../processors/hourly/logic.js';
import { RollingLogic } from '../../../processors/rolling/logic.js';
import type { RollingValue } from '../../../processors/rolling/logic.js';
import { TaskState } from '../../../processors/runtime/task.js';
import type { BatchOutcome, TaskRecord } from '../../../processors/runtime/task.js';
import type { CompactEvent, ProcessorLogic } from '../../../processors/runtime/types.js';
import { rankTop } from '../../../processors/top-skus/logic.js';
import type { TopSkusValue } from '../../../processors/top-skus/logic.js';
import { MergeState } from '../../../processors/top-skus/merge.js';
import type { StageRecord } from '../../../processors/top-skus/partial.js';
import { TopSkusPartialLogic } from '../../../processors/top-skus/partial.js';
import { HOUR, MINUTE, hourlyExpected, rollingAt, seededRandom } from '../helpers/expected.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const BOUND = 5_000;
const LATENESS = 120_000;
const HORIZON = 10 * MINUTE;

/** Events in time order with jitter, some duplicates, and a few far-too-late ones. */
function stream(n: number, seed: number): { records: CompactEvent[]; lateIds: Set<string> } {
  const rnd = seededRandom(seed);
  const records: CompactEvent[] = [];
  const lateIds = new Set<string>();
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 1_500 - Math.floor(rnd() * 4_000);
    const e: CompactEvent = {
      id: `e${i}`,
      t,
      store: `S${1 + Math.floor(rnd() * 3)}`,
      sku: `K${1 + Math.floor(rnd() * 5)}`,
      qty: rnd() < 0.1 ? -1 : 1 + Math.floor(rnd() * 3),
      price: 100 + Math.floor(rnd() * 900),
      basket: `B${Math.floor(i / 3)}`,
    };
    records.push(e);
    if (rnd() < 0.05) records.push({ ...e }); // duplicate
    if (i > 0 && i % 997 === 0) {
      const late = { ...e, id: `late${i}`, t: t - 2 * HOUR };
      records.push(late);
      lateIds.add(late.id);
    }
  }
  return { records, lateIds };
}

function newTask(logic: ProcessorLogic): TaskState {
  return new TaskState(logic, { partitions: [0], outOfOrderMs: BOUND, dedupHorizonMs: HORIZON });
}

/** Run in batches; optionally "crash" after batch `crashAt` (restore from the compacted changelog). */
function run(
  makeLogic: () => ProcessorLogic,
  records: CompactEvent[],
  batch: number,
  crashAt?: number,
): { outcomes: BatchOutcome[]; lateIds: string[] } {
  let task = newTask(makeLogic());
  const changelog = new Map<string, string | Buffer>();
  const outcomes: BatchOutcome[] = [];
  const lateIds: string[] = [];
  let n = 0;
  for (let i = 0; i < records.length; i += batch, n++) {
    const slice: TaskRecord[] = records.slice(i, i + batch).map((event, j) => ({ offset: i + j, event }));
    const out = task.processBatch(0, slice, i + slice.length - 1);
    outcomes.push(out);
    for (const l of out.late) lateIds.push((records[l.offset] as CompactEvent).id);
    for (const c of out.changelog) {
      if (c.value === null) changelog.delete(c.key);
      else changelog.set(c.key, c.value);
    }
    if (n === crashAt) {
      task = newTask(makeLogic());
      task.restoreSync(new Map(changelog));
      expect(task.next.get(0)).toBe(i + slice.length);
    }
  }
  return { outcomes, lateIds };
}

const finals = (outcomes: BatchOutcome[]) =>
  outcomes
    .flatMap((o) => o.outputs)
    .map((r) => JSON.parse(r.value as string) as HourlyValue)
    .filter((v) => v.final);

describe('hourly on the task runtime', () => {
  const { records, lateIds } = stream(6_000, 7);
  const accepted = (late: string[]) => {
    const seen = new Set<string>();
    const lateSet = new Set(late);
    return records.filter((e) => !lateSet.has(e.id) && !seen.has(e.id) && (seen.add(e.id), true));
  };

  it('finals equal the brute-force aggregate over deduplicated, non-late events', () => {
    const { outcomes, lateIds: late } = run(() => new HourlyLogic('h', LATENESS), records, 400);
    expect(new Set(late)).toEqual(lateIds);
    const exp = hourlyExpected(accepted(late));
    const got = new Map(
      finals(outcomes).map((v) => [
        `${v.window_start}|${v.store_id}|${v.sku}`,
        [v.quantity, v.revenue_cents, v.returns, v.orders],
      ]),
    );
    // Windows still open at the end have no final yet: compare the closed ones.
    expect(got.size).toBeGreaterThan(10);
    for (const [k, v] of got) expect(v).toEqual(exp.get(k));
    const dups = outcomes.reduce((s, o) => s + o.duplicates, 0);
    expect(dups).toBeGreaterThan(100);
  });

  it('a restore from the changelog mid-stream gives the same finals', () => {
    const plain = finals(run(() => new HourlyLogic('h', LATENESS), records, 400).outcomes);
    const crashed = finals(run(() => new HourlyLogic('h', LATENESS), records, 400, 9).outcomes);
    expect(crashed).toEqual(plain);
  });

  it('updates of one key carry a strictly growing event count and one final', () => {
    const all = run(() => new HourlyLogic('h', LATENESS), records, 300)
      .outcomes.flatMap((o) => o.outputs)
      .map((r) => JSON.parse(r.value as string) as HourlyValue);
    const last = new Map<string, HourlyValue>();
    for (const v of all) {
      const k = `${v.window_start}|${v.store_id}|${v.sku}`;
      const prev = last.get(k);
      if (prev) {
        expect(prev.final).toBe(false);
        expect(v.events).toBeGreaterThanOrEqual(prev.events);
        if (!v.final) expect(v.events).toBeGreaterThan(prev.events);
      }
      last.set(k, v);
    }
  });

  it('dedup state is bounded by the horizon, not by the open windows', () => {
    const task = newTask(new HourlyLogic('h', LATENESS));
    const recs = records.slice(0, 5000).map((event, i) => ({ offset: i, event }));
    task.processBatch(0, recs, recs.length - 1);
    // An event every 1.5 s: an id and an hourly basket pair each, for horizon + one slot.
    expect(task.dedupSize()).toBeLessThanOrEqual((2 * (HORIZON * 1.25)) / 1_500 + 50);
    expect(task.dedupSize()).toBeGreaterThan((2 * HORIZON) / 1_500 - 50);
  });

  it('a copy within the horizon is a duplicate; one after it counts again (documented bound)', () => {
    const task = newTask(new HourlyLogic('h', 10 * HOUR));
    const e = (id: string, t: number): CompactEvent => ({
      id,
      t,
      store: 'S1',
      sku: 'K1',
      qty: 1,
      price: 100,
      basket: `B-${id}`,
    });
    const first = task.processBatch(0, [{ offset: 0, event: e('a', T0) }], 0);
    expect(first.accepted).toBe(1);
    const near = task.processBatch(
      0,
      [
        { offset: 1, event: e('b', T0 + HORIZON / 2) },
        { offset: 2, event: e('a', T0) },
      ],
      2,
    );
    expect(near.duplicates).toBe(1);
    task.processBatch(0, [{ offset: 3, event: e('c', T0 + 2 * HORIZON + BOUND) }], 3);
    const far = task.processBatch(0, [{ offset: 4, event: e('a', T0 + 2 * HORIZON) }], 4);
    expect(far.duplicates).toBe(0);
    expect(far.accepted).toBe(1);
  });
});

describe('rolling hop on the task runtime', () => {
  const { records } = stream(5_000, 11);
  // The brute force is O(events) per emitted window: slow on a loaded machine.
  it(
    'each emitted window equals the brute-force window, with or without a restore',
    { timeout: 30_000 },
    () => {
      for (const crashAt of [undefined, 5]) {
        const { outcomes, lateIds } = run(() => new RollingLogic('r', LATENESS), records, 350, crashAt);
        const lateSet = new Set(lateIds);
        const seen = new Set<string>();
        const acc = records.filter((e) => !lateSet.has(e.id) && !seen.has(e.id) && (seen.add(e.id), true));
        const values = outcomes
          .flatMap((o) => o.outputs)
          .map((r) => JSON.parse(r.value as string) as RollingValue);
        expect(values.length).toBeGreaterThan(100);
        const keys = new Set<string>();
        for (const v of values) {
          const end = Date.parse(v.window_end);
          expect(end % MINUTE).toBe(0);
          const k = `${v.store_id}|${v.window_end}`;
          expect(keys.has(k)).toBe(false);
          keys.add(k);
          expect([v.quantity, v.revenue_cents, v.orders]).toEqual(rollingAt(acc, end, true).get(v.store_id));
        }
        // and no window with data was skipped between the first and last emitted instant
        const ends = values.map((v) => Date.parse(v.window_end));
        for (let t = Math.min(...ends); t <= Math.max(...ends); t += MINUTE * 7) {
          for (const store of rollingAt(acc, t).keys())
            expect(keys.has(`${store}|${new Date(t).toISOString()}`)).toBe(true);
        }
      }
    },
  );
});

describe('top SKUs', () => {
  it('ranks like SQL rank(): ties share a rank and the next rank skips', () => {
    const sums = new Map([
      ['a', { revenue: 50n, quantity: 1 }],
      ['b', { revenue: 90n, quantity: 1 }],
      ['c', { revenue: 50n, quantity: 2 }],
      ['d', { revenue: 10n, quantity: 1 }],
    ]);
    expect(rankTop(sums, 2).map((r) => [r.rank, r.sku])).toEqual([
      [1, 'b'],
      [2, 'a'],
      [2, 'c'],
    ]);
    expect(rankTop(sums, 4).map((r) => r.rank)).toEqual([1, 2, 2, 4]);
  });

  it('two stages over three partitions equal rank() over the accepted events, each hour once', () => {
    const parts = [0, 1, 2].map((p) =>
      stream(3_000, 20 + p).records.map((e) => ({ ...e, id: `${p}-${e.id}` })),
    );
    const merge = new MergeState('top', 3, 3);
    const accepted: CompactEvent[] = [];
    const emitted: TopSkusValue[] = [];
    const tasks = parts.map(
      (_, p) =>
        new TaskState([{ name: 'top-skus', logic: new TopSkusPartialLogic('partials', 1, p, LATENESS) }], {
          partitions: [p],
          outOfOrderMs: BOUND,
          dedupHorizonMs: HORIZON,
        }),
    );
    let offset = 0;
    for (let i = 0; i < 3_200; i += 250) {
      const stage: StageRecord[] = [];
      for (const [p, task] of tasks.entries()) {
        const slice = (parts[p] as CompactEvent[]).slice(i, i + 250);
        if (slice.length === 0) continue;
        const recs = slice.map((event, j) => ({ offset: i + j, event }));
        const out = task.processBatch(p, recs, i + slice.length - 1);
        const late = new Set(out.late.map((l) => l.offset));
        const seen = new Set<string>();
        for (const r of recs) if (!late.has(r.offset) && !seen.has(r.event.id)) seen.add(r.event.id);
        for (const o of out.outputs) stage.push(JSON.parse(o.value as string) as StageRecord);
      }
      const out = merge.apply(stage, (offset += stage.length));
      emitted.push(...out.outputs.map((o) => JSON.parse(o.value as string) as TopSkusValue));
    }
    for (const [p, list] of parts.entries()) {
      const { lateIds } = run(() => new TopSkusPartialLogic('x', 1, p, LATENESS), list, 250);
      const lateSet = new Set(lateIds);
      const seen = new Set<string>();
      for (const e of list)
        if (!lateSet.has(e.id) && !seen.has(e.id) && (seen.add(e.id), true)) accepted.push(e);
    }
    expect(emitted.length).toBeGreaterThan(1);
    expect(new Set(emitted.map((v) => v.window_start)).size).toBe(emitted.length);
    for (const v of emitted) {
      const start = Date.parse(v.window_start);
      const sums = new Map<string, { revenue: bigint; quantity: number }>();
      for (const e of accepted) {
        if (e.t < start || e.t >= start + HOUR) continue;
        const s = sums.get(e.sku) ?? { revenue: 0n, quantity: 0 };
        s.revenue += BigInt(e.qty * e.price);
        s.quantity += e.qty;
        sums.set(e.sku, s);
      }
      expect(v.top).toEqual(rankTop(sums, 3));
    }
  });
});

describe('a topology: every operator in one task, one dedup set', () => {
  const { records } = stream(5_000, 17);
  const operators = () => {
    const hourly = new HourlyLogic('h', LATENESS);
    const top = new TopSkusPartialLogic('t', 1, 0, LATENESS);
    // as createOperators wires them: top SKUs' sums are rebuilt from hourly's state on restore
    top.deriveFrom(hourly);
    return [
      { name: 'hourly', logic: hourly as ProcessorLogic },
      { name: 'top-skus', logic: top as ProcessorLogic },
      { name: 'rolling', logic: new RollingLogic('r', LATENESS) as ProcessorLogic },
    ];
  };
  const runAll = (crashAt?: number) => {
    let task = new TaskState(operators(), { partitions: [0], outOfOrderMs: BOUND, dedupHorizonMs: HORIZON });
    const changelog = new Map<string, string | Buffer>();
    const outputs: string[] = [];
    const late: string[] = [];
    for (let i = 0, n = 0; i < records.length; i += 300, n++) {
      const slice = records.slice(i, i + 300).map((event, j) => ({ offset: i + j, event }));
      const out = task.processBatch(0, slice, i + slice.length - 1);
      outputs.push(...out.outputs.map((o) => `${o.topic}|${o.key}|${o.value}`));
      late.push(...out.late.map((l) => `${l.operator}|${l.offset}`));
      for (const c of out.changelog) {
        if (c.value === null) changelog.delete(c.key);
        else changelog.set(c.key, c.value);
      }
      if (n === crashAt) {
        task = new TaskState(operators(), { partitions: [0], outOfOrderMs: BOUND, dedupHorizonMs: HORIZON });
        task.restoreSync(new Map(changelog));
      }
    }
    return { outputs, late };
  };

  it('each operator gives what it gives alone (late records per operator too)', () => {
    const together = runAll();
    const alone = (make: () => ProcessorLogic, topic: string, name: string) => {
      const r = run(make, records, 300);
      return {
        outputs: r.outcomes.flatMap((o) => o.outputs).map((o) => `${o.topic}|${o.key}|${o.value}`),
        late: r.outcomes.flatMap((o) => o.late).map((l) => `${name}|${l.offset}`),
        topic,
      };
    };
    for (const a of [
      alone(() => new HourlyLogic('h', LATENESS), 'h', 'hourly'),
      alone(() => new RollingLogic('r', LATENESS), 'r', 'rolling'),
    ]) {
      expect(together.outputs.filter((o) => o.startsWith(`${a.topic}|`))).toEqual(a.outputs);
      expect(together.late.filter((l) => a.late.includes(l))).toEqual(a.late);
    }
  });

  it('a restore mid-stream (one changelog for all operators) gives the same outputs', () => {
    expect(runAll(6)).toEqual(runAll());
  });
});
