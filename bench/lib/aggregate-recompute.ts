/**
 * The aggregate tables recomputed by SQL from sales_raw, the way the processor tests define them:
 * sales_raw deduplicated by event_id, minus the events each processor sent to its late topic
 * (listed in a temporary table `late_ids(processor, event_id)`), grouped as each processor groups.
 * Each query compares with the table the aggregate sink wrote (FULL JOIN) and returns how many
 * rows are missing, extra or different — the whole comparison stays inside Postgres, so a soak of
 * millions of events is checked in seconds.
 *
 * What is compared: every sales_hourly row (open hours carry their latest update, which after a
 * drain covers every event); the top list of every hour top_skus holds (only closed hours are
 * emitted); store_rolling_1h at every instant it holds, for every store.
 */
import type pg from 'pg';

export interface TableCheck {
  table: string;
  /** Rows the recomputation expects (for the checked windows). */
  expected: number;
  missing: number;
  extra: number;
  different: number;
}

const dedup = (s: string, processor: string) =>
  `SELECT DISTINCT ON (event_id) * FROM ${s}.sales_raw r
    WHERE NOT EXISTS (SELECT 1 FROM late_ids l WHERE l.processor = '${processor}' AND l.event_id = r.event_id)
    ORDER BY event_id`;

const HOURLY = (s: string) => `
  WITH d AS (${dedup(s, 'hourly')}),
       e AS (SELECT date_trunc('hour', event_time) AS w, store_id, sku, sum(quantity) AS q,
                    sum(quantity * unit_price_cents) AS rev, count(*) FILTER (WHERE quantity < 0) AS ret,
                    count(DISTINCT basket_id) AS o
               FROM d GROUP BY 1, 2, 3)
  SELECT count(e.sku) AS expected,
         count(*) FILTER (WHERE t.sku IS NULL) AS missing,
         count(*) FILTER (WHERE e.sku IS NULL) AS extra,
         count(*) FILTER (WHERE e.sku IS NOT NULL AND t.sku IS NOT NULL
                            AND (e.q, e.rev, e.ret, e.o) IS DISTINCT FROM
                                (t.quantity::numeric, t.revenue_cents::numeric, t.returns::bigint, t.orders::bigint))
           AS different
    FROM e FULL JOIN ${s}.sales_hourly t
      ON t.window_start = e.w AND t.store_id = e.store_id AND t.sku = e.sku`;

const TOP = (s: string) => `
  WITH d AS (${dedup(s, 'top-skus')}),
       hours AS (SELECT DISTINCT window_start FROM ${s}.top_skus),
       x AS (SELECT date_trunc('hour', event_time) AS h, sku, sum(quantity * unit_price_cents) AS rev,
                    sum(quantity) AS qty
               FROM d WHERE date_trunc('hour', event_time) IN (SELECT window_start FROM hours) GROUP BY 1, 2),
       e AS (SELECT * FROM (SELECT *, rank() OVER (PARTITION BY h ORDER BY rev DESC) AS rk FROM x) r
              WHERE rk <= $1)
  SELECT count(e.sku) AS expected,
         count(*) FILTER (WHERE t.sku IS NULL) AS missing,
         count(*) FILTER (WHERE e.sku IS NULL) AS extra,
         count(*) FILTER (WHERE e.sku IS NOT NULL AND t.sku IS NOT NULL
                            AND (e.rev, e.qty) IS DISTINCT FROM (t.revenue_cents::numeric, t.quantity::numeric))
           AS different
    FROM e FULL JOIN ${s}.top_skus t ON t.window_start = e.h AND t.rank = e.rk AND t.sku = e.sku`;

const ROLLING = (s: string) => `
  WITH d AS (${dedup(s, 'rolling')}),
       instants AS (SELECT DISTINCT window_end FROM ${s}.store_rolling_1h),
       e AS (SELECT d.store_id, i.window_end, sum(d.quantity) AS q,
                    sum(d.quantity * d.unit_price_cents) AS rev, count(DISTINCT d.basket_id) AS o
               FROM instants i
               JOIN d ON d.event_time >= i.window_end - interval '1 hour' AND d.event_time < i.window_end
              GROUP BY 1, 2)
  SELECT count(e.store_id) AS expected,
         count(*) FILTER (WHERE t.store_id IS NULL) AS missing,
         count(*) FILTER (WHERE e.store_id IS NULL) AS extra,
         count(*) FILTER (WHERE e.store_id IS NOT NULL AND t.store_id IS NOT NULL
                            AND (e.q, e.rev, e.o) IS DISTINCT FROM
                                (t.quantity::numeric, t.revenue_cents::numeric, t.orders::bigint))
           AS different
    FROM e FULL JOIN ${s}.store_rolling_1h t ON t.store_id = e.store_id AND t.window_end = e.window_end`;

/**
 * Compare the three aggregate tables of `schema` with their recomputation. `late` maps each
 * processor name (hourly, top-skus, rolling) to the event ids it sent to the late topic.
 */
export async function checkAggregates(
  db: pg.Client,
  schema: string,
  late: Map<string, string[]>,
  topN: number,
): Promise<TableCheck[]> {
  const s = `"${schema}"`;
  await db.query(
    'CREATE TEMP TABLE IF NOT EXISTS late_ids (processor text NOT NULL, event_id uuid NOT NULL)',
  );
  await db.query('TRUNCATE late_ids');
  for (const [processor, ids] of late) {
    for (let i = 0; i < ids.length; i += 10_000) {
      await db.query('INSERT INTO late_ids SELECT $1, unnest($2::uuid[])', [
        processor,
        ids.slice(i, i + 10_000),
      ]);
    }
  }
  await db.query('CREATE INDEX IF NOT EXISTS late_ids_idx ON late_ids (event_id, processor)');
  await db.query('ANALYZE late_ids');
  const run = async (table: string, sql: string, params: unknown[] = []): Promise<TableCheck> => {
    const r = await db.query<Record<string, string>>(sql, params);
    const row = r.rows[0] ?? {};
    return {
      table,
      expected: Number(row['expected'] ?? 0),
      missing: Number(row['missing'] ?? 0),
      extra: Number(row['extra'] ?? 0),
      different: Number(row['different'] ?? 0),
    };
  };
  return [
    await run('sales_hourly', HOURLY(s)),
    await run('top_skus', TOP(s), [topN]),
    await run('store_rolling_1h', ROLLING(s)),
  ];
}

export interface RawCheck {
  rows: number;
  distinctEvents: number;
  /** Rows sharing a (partition, offset) with another: a record written twice. */
  duplicatedRecords: number;
}

export async function checkRaw(db: pg.Client, schema: string): Promise<RawCheck> {
  const r = await db.query<{ rows: string; ids: string; positions: string }>(
    `SELECT count(*) AS rows, count(DISTINCT event_id) AS ids,
            count(DISTINCT (kafka_partition, kafka_offset)) AS positions
       FROM "${schema}".sales_raw`,
  );
  const row = r.rows[0];
  const rows = Number(row?.rows ?? 0);
  return {
    rows,
    distinctEvents: Number(row?.ids ?? 0),
    duplicatedRecords: rows - Number(row?.positions ?? 0),
  };
}
