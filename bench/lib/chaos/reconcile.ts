/**
 * Every store of the chaos pipeline against the independent count (reference.ts), as lost /
 * duplicated / wrong per store:
 * - ingest: every event `POST /v1/events` acknowledged (202) is in the raw topic, once;
 * - sales_raw (Postgres, idempotent by event id — the default): every event id of the raw topic is
 *   one row, at the position of its first record (partition, offset) with its amount; no row at a
 *   position the topic does not hold (read_committed), none for a re-sent copy;
 * - the aggregate tables: equal to their SQL recomputation from sales_raw minus each processor's
 *   late events (aggregate-recompute.ts) — missing rows are lost, extra or different rows wrong;
 * - ClickHouse's sales_raw and aggregate tables (when the stack runs ClickHouse): the same checks,
 *   on a copy of them in Postgres (clickhouse-mirror.ts), the aggregates recomputed from
 *   ClickHouse's own sales_raw;
 * - the late topic: no event twice for one processor, none the raw topic does not hold;
 * - the DLQ topic: the load is valid events only, so every dead letter is wrong, and one source
 *   record dead-lettered twice by the same stage is a duplicate.
 */
import type pg from 'pg';
import type { DlqEntry } from '../../../sinks/core/dlq/reader.js';
import { checkAggregates } from '../aggregate-recompute.js';
import type { ClickhouseRawTotals } from './clickhouse-mirror.js';

export interface StoreCheck {
  store: string;
  expected: number;
  lost: number;
  duplicated: number;
  wrong: number;
  notes?: string;
}

async function one(db: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, number>> {
  const r = await db.query<Record<string, string>>(sql, params);
  return Object.fromEntries(Object.entries(r.rows[0] ?? {}).map(([k, v]) => [k, Number(v ?? 0)]));
}

export async function checkIngest(db: pg.Client, acked: string[]): Promise<StoreCheck> {
  await db.query(`CREATE TEMP TABLE IF NOT EXISTS chaos_acked (event_id uuid NOT NULL)`);
  await db.query(`TRUNCATE chaos_acked`);
  for (let i = 0; i < acked.length; i += 20_000) {
    await db.query(`INSERT INTO chaos_acked SELECT unnest($1::uuid[])`, [acked.slice(i, i + 20_000)]);
  }
  const r = await one(
    db,
    `WITH a AS (SELECT a.event_id, count(r.event_id) AS n FROM chaos_acked a
                  LEFT JOIN chaos_reference r USING (event_id) GROUP BY a.event_id)
     SELECT count(*) AS expected, count(*) FILTER (WHERE n = 0) AS lost,
            coalesce(sum(n - 1) FILTER (WHERE n > 1), 0) AS duplicated FROM a`,
  );
  return {
    store: 'ingest → raw topic',
    expected: r['expected'] ?? 0,
    lost: r['lost'] ?? 0,
    duplicated: r['duplicated'] ?? 0,
    wrong: 0,
    notes: 'events acknowledged with 202 by POST /v1/events, found in the raw topic',
  };
}

/** Which database a store lives in: its label in the closing table. */
export type StoreSystem = 'postgres' | 'clickhouse';

export async function checkRawRows(
  db: pg.Client,
  schema: string,
  dlqPositions: { partition: number; offset: number }[],
  system: StoreSystem = 'postgres',
): Promise<StoreCheck> {
  const s = `"${schema}"`;
  await db.query(
    `CREATE TEMP TABLE IF NOT EXISTS chaos_dlq_positions (kafka_partition int NOT NULL, kafka_offset bigint NOT NULL)`,
  );
  await db.query(`TRUNCATE chaos_dlq_positions`);
  if (dlqPositions.length > 0) {
    await db.query(`INSERT INTO chaos_dlq_positions SELECT * FROM unnest($1::int[], $2::bigint[])`, [
      dlqPositions.map((d) => d.partition),
      dlqPositions.map((d) => d.offset),
    ]);
  }
  const r = await one(
    db,
    `WITH ref AS (SELECT DISTINCT ON (event_id) * FROM chaos_reference f
                   WHERE NOT EXISTS (SELECT 1 FROM chaos_dlq_positions d
                                      WHERE d.kafka_partition = f.kafka_partition AND d.kafka_offset = f.kafka_offset)
                   ORDER BY event_id, kafka_partition, kafka_offset),
          pos AS (SELECT kafka_partition, kafka_offset, count(*) AS n,
                         min(event_id::text) AS event_id, min(quantity::bigint * unit_price_cents) AS amount,
                         count(DISTINCT (event_id, quantity::bigint * unit_price_cents)) AS variants
                    FROM ${s}.sales_raw GROUP BY 1, 2)
     SELECT (SELECT count(*) FROM ref) AS expected,
            (SELECT count(*) FROM ref WHERE NOT EXISTS (SELECT 1 FROM pos
               WHERE pos.kafka_partition = ref.kafka_partition AND pos.kafka_offset = ref.kafka_offset)) AS lost,
            (SELECT count(*) - count(DISTINCT event_id) FROM ${s}.sales_raw) AS duplicated,
            (SELECT count(*) FROM pos LEFT JOIN ref USING (kafka_partition, kafka_offset)
              WHERE ref.event_id IS NULL OR pos.variants > 1 OR pos.event_id <> ref.event_id::text
                 OR pos.amount <> ref.amount_cents) AS wrong`,
  );
  return {
    store: `${system} sales_raw`,
    expected: r['expected'] ?? 0,
    lost: r['lost'] ?? 0,
    duplicated: r['duplicated'] ?? 0,
    wrong: r['wrong'] ?? 0,
    notes: 'one row per event id of the raw topic, at its first record (partition, offset), same amount',
  };
}

/**
 * ClickHouse's sales_raw, through its copy in Postgres (clickhouse-mirror.ts): the positional
 * check of checkRawRows, and the totals — rows, distinct event ids, sum of amounts, as ClickHouse
 * counted them — against the raw topic's (each event id once, dead letters left out). Totals that
 * differ where every position matched would still be wrong (one count).
 */
export async function checkClickhouseRawRows(
  db: pg.Client,
  mirrorSchema: string,
  dlqPositions: { partition: number; offset: number }[],
  totals: ClickhouseRawTotals,
): Promise<StoreCheck> {
  const check = await checkRawRows(db, mirrorSchema, dlqPositions, 'clickhouse');
  // chaos_dlq_positions was filled by checkRawRows above.
  const ref = await one(
    db,
    `SELECT count(*) AS ids, coalesce(sum(amount_cents), 0) AS amount
       FROM (SELECT DISTINCT ON (event_id) event_id, amount_cents FROM chaos_reference f
              WHERE NOT EXISTS (SELECT 1 FROM chaos_dlq_positions d
                                 WHERE d.kafka_partition = f.kafka_partition AND d.kafka_offset = f.kafka_offset)
              ORDER BY event_id, kafka_partition, kafka_offset) r`,
  );
  const same =
    totals.rows === ref['ids'] && totals.distinctIds === ref['ids'] && totals.amountCents === ref['amount'];
  return {
    ...check,
    wrong: check.wrong + (same || check.lost + check.duplicated + check.wrong > 0 ? 0 : 1),
    notes: `${totals.rows} rows, ${totals.distinctIds} distinct ids, amounts ${totals.amountCents} (raw topic: ${ref['ids']} ids, ${ref['amount']}); ${check.notes ?? ''}`,
  };
}

export async function checkAggregateTables(
  db: pg.Client,
  schema: string,
  late: Map<string, string[]>,
  topN: number,
  system: StoreSystem = 'postgres',
): Promise<StoreCheck[]> {
  const tables = await checkAggregates(db, schema, late, topN);
  return tables.map((t) => ({
    store: `${system} ${t.table}`,
    expected: t.expected,
    lost: t.missing,
    // An aggregate counted twice is a row with the wrong values: it shows under wrong.
    duplicated: 0,
    wrong: t.extra + t.different,
    notes: `rows against SQL recomputation from ${system}'s sales_raw minus late events`,
  }));
}

export async function checkLate(db: pg.Client, late: Map<string, string[]>): Promise<StoreCheck> {
  let total = 0;
  let duplicated = 0;
  const all: string[] = [];
  for (const ids of late.values()) {
    total += ids.length;
    duplicated += ids.length - new Set(ids).size;
    all.push(...ids);
  }
  const r =
    all.length === 0
      ? { unknown: 0 }
      : await one(
          db,
          `SELECT count(*) AS unknown FROM unnest($1::uuid[]) AS l(event_id)
            WHERE NOT EXISTS (SELECT 1 FROM chaos_reference r WHERE r.event_id = l.event_id)`,
          [all],
        );
  return {
    store: 'late topic',
    expected: total - duplicated,
    lost: 0,
    duplicated,
    wrong: r['unknown'] ?? 0,
    notes: `late events per processor: ${[...late].map(([p, ids]) => `${p || '?'} ${ids.length}`).join(', ') || 'none'}`,
  };
}

export function checkDlq(entries: DlqEntry[]): StoreCheck {
  const keys = entries.map(
    (e) => `${e.sinks.join('+')}|${e.source.topic}|${e.source.partition}|${e.source.offset}`,
  );
  return {
    store: 'dlq topic',
    expected: 0,
    lost: 0,
    duplicated: keys.length - new Set(keys).size,
    wrong: entries.length,
    notes:
      entries.length === 0
        ? 'the load is valid events only: none expected'
        : `reasons: ${[...new Set(entries.map((e) => e.reason))].join(', ')}`,
  };
}
