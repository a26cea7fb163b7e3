/**
 * The demo's proof, computed after its pipeline drained: the raw topic read independently
 * (read_committed, chaos/reference.ts) against every store, plus what became of the three events
 * the demo sent on purpose (inject.ts). Every number is recomputed from the stores themselves.
 * - totals: records, distinct event ids and sums (quantity × price) of the topic, sales_raw and
 *   sales_hourly (the hourly sum equals the topic's minus the events hourly found late);
 * - stores: the chaos soak's checks (reconcile.ts), 0 lost / 0 duplicated / 0 wrong each, except
 *   the DLQ, whose expected entries are exactly the poison records (dlqCheck below);
 * - the duplicate: in the topic twice, in sales_raw once; the late event: in the late topic and in
 *   sales_raw, in no aggregate; the poison record: in the DLQ with its reason.
 */
import type pg from 'pg';
import type { DlqEntry } from '../../../sinks/core/dlq/reader.js';
import type { StoreCheck } from '../chaos/reconcile.js';
import type { Position } from './inject.js';

export interface Totals {
  records: number;
  distinctIds: number;
  amountCents: number;
}

export interface DemoProof {
  topic: Totals;
  salesRaw: Totals;
  /** sum(revenue_cents) of sales_hourly, and what it must be: the topic's minus hourly's late events. */
  hourly: { revenueCents: number; expectedCents: number };
  stores: StoreCheck[];
  duplicate: { eventId: string; inTopic: number; inSalesRaw: number };
  late: { eventId: string; processors: string[]; inSalesRaw: number };
  poison: { position: Position; reasons: string[]; stages: string[] }[];
}

async function row(db: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, number>> {
  const r = await db.query<Record<string, string | null>>(sql, params);
  return Object.fromEntries(Object.entries(r.rows[0] ?? {}).map(([k, v]) => [k, Number(v ?? 0)]));
}

/** The DLQ holds exactly the poison records: one entry each (copies collapsed), nothing else. */
export function dlqCheck(entries: DlqEntry[], topic: string, poison: Position[]): StoreCheck {
  const at = (e: DlqEntry, p: Position) =>
    e.source.topic === topic && e.source.partition === p.partition && e.source.offset === p.offset;
  const expected = entries.filter((e) => poison.some((p) => at(e, p)));
  const keys = expected.map((e) => `${e.source.partition}|${e.source.offset}`);
  return {
    store: 'dlq topic',
    expected: poison.length,
    lost: poison.filter((p) => !entries.some((e) => at(e, p))).length,
    duplicated: keys.length - new Set(keys).size,
    wrong: entries.length - expected.length,
    notes: `the poison records only; reasons: ${[...new Set(entries.map((e) => e.reason))].join(', ') || 'none'}`,
  };
}

/** Totals and the fate of the injected events; needs chaos_reference and late_ids loaded. */
export async function totalsAndFates(
  db: pg.Client,
  schema: string,
  duplicateId: string,
  lateId: string,
): Promise<
  Pick<DemoProof, 'topic' | 'salesRaw' | 'hourly'> & { dupInTopic: number; dupRows: number; lateRows: number }
> {
  const s = `"${schema}"`;
  const topic = await row(
    db,
    `SELECT (SELECT count(*) FROM chaos_reference) AS records, count(*) AS ids, sum(amount_cents) AS amount
       FROM (SELECT DISTINCT ON (event_id) amount_cents FROM chaos_reference ORDER BY event_id) d`,
  );
  const raw = await row(
    db,
    `SELECT count(*) AS records, count(DISTINCT event_id) AS ids,
            sum(quantity::bigint * unit_price_cents) AS amount FROM ${s}.sales_raw`,
  );
  const hourly = await row(
    db,
    `SELECT (SELECT sum(revenue_cents) FROM ${s}.sales_hourly) AS revenue,
            (SELECT sum(amount_cents) FROM (SELECT DISTINCT ON (event_id) event_id, amount_cents
                                              FROM chaos_reference ORDER BY event_id) d
              WHERE NOT EXISTS (SELECT 1 FROM late_ids l
                                 WHERE l.processor = 'hourly' AND l.event_id = d.event_id)) AS expected`,
  );
  const fates = await row(
    db,
    `SELECT (SELECT count(*) FROM chaos_reference WHERE event_id = $1) AS dup_topic,
            (SELECT count(*) FROM ${s}.sales_raw WHERE event_id = $1) AS dup_rows,
            (SELECT count(*) FROM ${s}.sales_raw WHERE event_id = $2) AS late_rows`,
    [duplicateId, lateId],
  );
  return {
    topic: {
      records: topic['records'] ?? 0,
      distinctIds: topic['ids'] ?? 0,
      amountCents: topic['amount'] ?? 0,
    },
    salesRaw: { records: raw['records'] ?? 0, distinctIds: raw['ids'] ?? 0, amountCents: raw['amount'] ?? 0 },
    hourly: { revenueCents: hourly['revenue'] ?? 0, expectedCents: hourly['expected'] ?? 0 },
    dupInTopic: fates['dup_topic'] ?? 0,
    dupRows: fates['dup_rows'] ?? 0,
    lateRows: fates['late_rows'] ?? 0,
  };
}

/** Does the proof hold? The list of what does not (empty: it holds). */
export function proofFailures(p: DemoProof): string[] {
  const out: string[] = [];
  for (const s of p.stores)
    if (s.lost || s.duplicated || s.wrong)
      out.push(`${s.store}: ${s.lost} lost, ${s.duplicated} duplicated, ${s.wrong} wrong`);
  if (p.salesRaw.distinctIds !== p.topic.distinctIds || p.salesRaw.records !== p.topic.distinctIds)
    out.push(`sales_raw holds ${p.salesRaw.records} rows for ${p.topic.distinctIds} event ids`);
  if (p.salesRaw.amountCents !== p.topic.amountCents) out.push('sales_raw sum differs from the topic');
  if (p.hourly.revenueCents !== p.hourly.expectedCents) out.push('sales_hourly sum differs from the topic');
  if (p.duplicate.inTopic < 2 || p.duplicate.inSalesRaw !== 1)
    out.push(`duplicate: ${p.duplicate.inTopic} in the topic, ${p.duplicate.inSalesRaw} in sales_raw`);
  if (p.late.processors.length === 0 || p.late.inSalesRaw !== 1)
    out.push(`late event: late for [${p.late.processors.join(', ')}], ${p.late.inSalesRaw} in sales_raw`);
  for (const x of p.poison)
    if (x.stages.length === 0)
      out.push(`poison at ${x.position.partition}/${x.position.offset} not in the DLQ`);
  return out;
}
