import { describe, expect, it } from 'vitest';
import { createOperators } from '../../../processors/definitions.js';
import { processorConfig } from '../../../processors/runtime/config.js';
import { TaskState } from '../../../processors/runtime/task.js';
import type { CompactEvent } from '../../../processors/runtime/types.js';
import type { SalesAnomaly } from '../../../lib/contracts/anomaly/schema.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);
// The last 12 hours (season 1), whatever the defaults: these tests are about the operator's walk.
const cfg = processorConfig({ anomalyHistoryPoints: 12, anomalyMinHistory: 6, anomalySeasonHours: 1 }, {});

/** JSON instead of Avro: the operator only needs bytes. */
const encode = (a: SalesAnomaly) => Buffer.from(JSON.stringify(a));

function newTask() {
  const ops = createOperators(['hourly', 'anomalies'], cfg, {
    partition: 0,
    partialsTopic: 'p',
    mergePartitions: 1,
    anomalies: { encode },
  });
  return new TaskState(ops, { partitions: [0], outOfOrderMs: 5_000, dedupHorizonMs: 600_000 });
}

/** Hour h of store s: `units` lines of 1 unit at `price` cents, spread over the hour. */
function hourOf(h: number, store: string, units: number, price = 500): CompactEvent[] {
  return Array.from({ length: units }, (_, i) => ({
    id: `${store}-${h}-${i}`,
    t: T0 + h * HOUR + Math.floor(((i + 0.5) * HOUR) / units),
    store,
    sku: `K${i % 3}`,
    qty: 1,
    price,
    basket: `${store}-${h}-${i}`,
  }));
}

/** 30 hours of two stores with a little noise; S1 sells `spike` at hour 20 and nothing at hour 25. */
function events(spike: number): CompactEvent[] {
  const out: CompactEvent[] = [];
  for (let h = 0; h < 30; h++) {
    out.push(...hourOf(h, 'S1', h === 20 ? spike : h === 25 ? 0 : 20 + (h % 3)));
    out.push(...hourOf(h, 'S2', 10 + (h % 2)));
  }
  return out.sort((a, b) => a.t - b.t);
}

function run(records: CompactEvent[], crashEvery?: number, batch = 97) {
  let task = newTask();
  const changelog = new Map<string, string | Buffer>();
  const anomalies: SalesAnomaly[] = [];
  for (let i = 0, n = 0; i < records.length; i += batch, n++) {
    const slice = records.slice(i, i + batch).map((event, j) => ({ offset: i + j, event }));
    const out = task.processBatch(0, slice, i + slice.length - 1);
    for (const o of out.outputs)
      if (o.topic === cfg.anomaliesTopic) anomalies.push(JSON.parse(String(o.value)) as SalesAnomaly);
    for (const c of out.changelog)
      if (c.value === null) changelog.delete(c.key);
      else changelog.set(c.key, c.value);
    if (crashEvery !== undefined && n % crashEvery === crashEvery - 1) {
      task = newTask();
      task.restoreSync(new Map(changelog));
    }
  }
  return anomalies;
}

const flags = (a: SalesAnomaly[]) =>
  a.map((x) => `${x.store_id} h${(x.window_start - T0) / HOUR} ${x.metric} ${x.direction}`).sort();

describe('the anomalies operator on hourly closed hours', () => {
  it('flags the injected spike and the silent hour of S1, nothing else', () => {
    const got = run(events(200));
    expect(flags(got)).toEqual([
      'S1 h20 revenue up',
      'S1 h20 units up',
      'S1 h25 revenue down',
      'S1 h25 units down',
    ]);
    const spike = got.find((a) => a.metric === 'units' && a.direction === 'up');
    expect(spike).toMatchObject({ observed: 200, expected: 21, window_end: T0 + 21 * HOUR, threshold: 3.5 });
    expect(spike?.history_points).toBe(12);
  });

  it('normal data gives no anomaly', () => {
    const normal = events(21).filter(
      (e) => !(e.store === 'S1' && e.t >= T0 + 25 * HOUR && e.t < T0 + 26 * HOUR),
    );
    const filled = [...normal, ...hourOf(25, 'S1', 21)].sort((a, b) => a.t - b.t);
    expect(run(filled)).toEqual([]);
  });

  it('restores from its changelog without scoring an hour twice or skipping one', () => {
    expect(flags(run(events(200), 7))).toEqual(flags(run(events(200))));
  });

  it('one batch that closes more hours than the history holds scores them all (regression)', () => {
    expect(flags(run(events(200), undefined, 100_000))).toEqual(flags(run(events(200))));
  });

  it('does not score a store before the minimum history', () => {
    const early = events(21)
      .concat(hourOf(3, 'S3', 500))
      .sort((a, b) => a.t - b.t);
    expect(run(early).filter((a) => a.store_id === 'S3')).toEqual([]);
  });

  it('a revenue spike with the usual units is not an anomaly (units must confirm it)', () => {
    // S1 sells its usual 21 units at hour 20, each at ten times the price.
    const dear = events(21)
      .filter((e) => !(e.store === 'S1' && e.t >= T0 + 20 * HOUR && e.t < T0 + 21 * HOUR))
      .concat(hourOf(20, 'S1', 21, 5_000))
      .sort((a, b) => a.t - b.t);
    expect(flags(run(dear)).filter((f) => f.includes('h20'))).toEqual([]);
    // The silent hour is still flagged on both.
    expect(flags(run(dear))).toEqual(['S1 h25 revenue down', 'S1 h25 units down']);
  });

  it('a quiet store is not flagged for a change within its counting noise', () => {
    // S2 sells 10 or 11 units an hour (MAD 0.5, floored at 1): 15 units would score 4.0 without
    // the Poisson bound (σ = √10.5 ≈ 3.2, so 15 is 1.4 σ away).
    const noisy = events(21)
      .filter((e) => !(e.store === 'S2' && e.t >= T0 + 22 * HOUR && e.t < T0 + 23 * HOUR))
      .concat(hourOf(22, 'S2', 15))
      .sort((a, b) => a.t - b.t);
    expect(flags(run(noisy)).filter((f) => f.startsWith('S2'))).toEqual([]);
  });
});
