/** The equalities of issue 5: processor outputs against SQL over the same input in Postgres. */
import { expect } from 'vitest';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import type { HourlyValue } from '../../../processors/hourly/logic.js';
import type { RollingValue } from '../../../processors/rolling/logic.js';
import type { TopSkusValue } from '../../../processors/top-skus/logic.js';
import { stackEnv } from '../../helpers/env.js';
import { HOUR, MINUTE } from './expected.js';
import { LATENESS_MS, T0, readAll } from './fixture.js';
import type { Fixture, ReadRecord } from './fixture.js';

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** event_ids each processor sent to the late topic. */
export async function lateIds(f: Fixture): Promise<{ records: ReadRecord[]; ids: Record<string, string[]> }> {
  const serde = new SaleEventSerde(createRegistry(stackEnv()['SCHEMA_REGISTRY_URL']));
  const records = await readAll(f, f.topics.late);
  const ids: Record<string, string[]> = { hourly: [], 'top-skus': [], rolling: [] };
  for (const r of records) {
    // Partial sums the top-SKUs merge received after it emitted their hour (JSON, not events).
    if (r.headers['late.stage'] === 'merge') continue;
    const e = await serde.decode(r.value as Buffer);
    ids[r.headers['late.processor'] ?? '']?.push(e.event_id);
  }
  return { records, ids };
}

const dedup = (table: string) =>
  `SELECT DISTINCT ON (event_id) * FROM ${table} WHERE NOT (event_id = ANY($1::text[])) ORDER BY event_id`;

/** Final hourly records == SQL GROUP BY over the deduplicated, non-late input; no update repeated. */
export async function checkHourly(f: Fixture, late: string[]): Promise<number> {
  const records = await readAll(f, f.topics.hourly);
  const seen = new Set<string>();
  const finals = new Map<string, (number | string)[]>();
  for (const r of records) {
    const v = JSON.parse((r.value as Buffer).toString()) as HourlyValue;
    const once = `${r.key}#${v.events}#${v.final}`;
    expect(seen.has(once), `update emitted twice: ${once}`).toBe(false);
    seen.add(once);
    if (v.final && Date.parse(v.window_start) < f.sentinelHour) {
      expect(finals.has(r.key), `two finals for ${r.key}`).toBe(false);
      finals.set(r.key, [v.quantity, v.revenue_cents, v.returns, v.orders]);
    }
  }
  const { rows } = await f.db.query<{ k: string; q: string; rev: string; ret: string; orders: string }>(
    `WITH d AS (${dedup(f.table)})
     SELECT to_char(date_trunc('hour', event_time), ${ISO}) || '|' || store_id || '|' || sku AS k,
            sum(quantity) AS q, sum(quantity * unit_price_cents) AS rev,
            count(*) FILTER (WHERE quantity < 0) AS ret, count(DISTINCT basket_id) AS orders
       FROM d WHERE event_time < to_timestamp($2 / 1000.0) GROUP BY 1`,
    [late, f.sentinelHour],
  );
  const expected = new Map(rows.map((r) => [r.k, [Number(r.q), r.rev, Number(r.ret), Number(r.orders)]]));
  expect(expected.size).toBeGreaterThan(100);
  expect(new Map([...finals].sort())).toEqual(new Map([...expected].sort()));
  return finals.size;
}

/** Top SKUs per hour == SQL rank() over the same input; each hour emitted once. */
export async function checkTopSkus(f: Fixture, late: string[], n: number): Promise<number> {
  const records = await readAll(f, f.topics.topSkus);
  const got = new Map<string, string>();
  for (const r of records) {
    expect(got.has(r.key), `hour emitted twice: ${r.key}`).toBe(false);
    const v = JSON.parse((r.value as Buffer).toString()) as TopSkusValue;
    if (Date.parse(v.window_start) >= f.sentinelHour) continue;
    got.set(r.key, JSON.stringify(v.top.map((t) => [t.rank, t.sku, t.revenue_cents, t.quantity])));
  }
  const { rows } = await f.db.query<{ h: string; rk: string; sku: string; rev: string; qty: string }>(
    `WITH d AS (${dedup(f.table)}),
          s AS (SELECT date_trunc('hour', event_time) AS h, sku, sum(quantity * unit_price_cents) AS rev,
                       sum(quantity) AS qty FROM d WHERE event_time < to_timestamp($2 / 1000.0) GROUP BY 1, 2),
          r AS (SELECT *, rank() OVER (PARTITION BY h ORDER BY rev DESC) AS rk FROM s)
     SELECT to_char(h, ${ISO}) AS h, rk, sku, rev, qty FROM r WHERE rk <= $3 ORDER BY h, rk, sku`,
    [late, f.sentinelHour, n],
  );
  const expected = new Map<string, [number, string, string, number][]>();
  for (const r of rows) {
    const list = expected.get(r.h) ?? [];
    list.push([Number(r.rk), r.sku, r.rev, Number(r.qty)]);
    expected.set(r.h, list);
  }
  expect(expected.size).toBeGreaterThanOrEqual(4);
  expect(new Map([...got].sort())).toEqual(
    new Map([...expected].map(([h, l]) => [h, JSON.stringify(l)] as const).sort()),
  );
  return got.size;
}

/** The rolling view at checked instants == its SQL definition; each (store, instant) emitted once. */
export async function checkRolling(f: Fixture, late: string[]): Promise<number> {
  const records = await readAll(f, f.topics.rolling);
  const got = new Map<string, (number | string)[]>();
  for (const r of records) {
    expect(got.has(r.key), `window emitted twice: ${r.key}`).toBe(false);
    const v = JSON.parse((r.value as Buffer).toString()) as RollingValue;
    got.set(r.key, [v.quantity, v.revenue_cents, v.orders]);
  }
  // Every 7th minute over the data, plus the first and the last instants that cover it.
  const instants: number[] = [];
  for (let t = T0 - 2 * HOUR; t <= f.sentinelHour - 2 * HOUR + LATENESS_MS; t += 7 * MINUTE) instants.push(t);
  const { rows } = await f.db.query<{ k: string; q: string; rev: string; orders: string }>(
    `WITH d AS (${dedup(f.table)})
     SELECT d.store_id || '|' || to_char(to_timestamp(ts.ms / 1000.0), ${ISO}) AS k,
            sum(quantity) AS q, sum(quantity * unit_price_cents) AS rev, count(DISTINCT basket_id) AS orders
       FROM unnest($2::bigint[]) AS ts(ms)
       JOIN d ON d.event_time >= to_timestamp((ts.ms - 3600000) / 1000.0) AND d.event_time < to_timestamp(ts.ms / 1000.0)
      GROUP BY 1`,
    [late, instants],
  );
  expect(rows.length).toBeGreaterThan(100);
  const checkedKeys = new Set(instants.map((t) => new Date(t).toISOString()));
  const gotAtInstants = new Map([...got].filter(([k]) => checkedKeys.has(k.split('|')[1] ?? '')));
  expect(new Map([...gotAtInstants].sort())).toEqual(
    new Map(rows.map((r) => [r.k, [Number(r.q), r.rev, Number(r.orders)]] as const).sort()),
  );
  return rows.length;
}
