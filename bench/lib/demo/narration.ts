/**
 * What the demo says: one short paragraph per step (what happens and why), the proof as a table,
 * and where to look on the dashboards. Text only — tour.ts decides when each is printed.
 */
import type { StoreCheck } from '../chaos/reconcile.js';
import type { DemoProof } from './proof.js';

export const STEPS = {
  start: (rate: number) =>
    `Step 1 — a pipeline of its own. The demo starts every service \`make up\` runs (producer, HTTP ingest, ` +
    `raw sink, stream processors, aggregate sink) on fresh topics, consumer groups and a Postgres schema ` +
    `of its own, under the same supervisor engine as the stack, beside the running stack. Your data and ` +
    `your producer's rate are never touched, and what this pipeline writes can be counted exactly. ` +
    `Its producer starts at ${rate} events/s. Each live line shows rates from the processes' own /metrics ` +
    `and each consumer group's lag (records behind) from the broker.`,
  anomaly: (store: string, factor: number, historyHours: number, hour: number) =>
    `Step 2 — a sales anomaly. Before its processes started, the demo wrote ${historyHours} past hours of ` +
    `steady sales of store ${store} to the raw topic, then one hour (${new Date(hour).toISOString().slice(11, 16)} UTC) ` +
    `at ×${factor}, as \`retail-etl producer anomaly ${store} --factor ${factor}\` would. The anomalies ` +
    `operator scores every store's closed hour against its own history (the same hour of past days, a ` +
    `robust z-score bounded by the counting noise; revenue counts only when units confirm it) and writes ` +
    `the far ones to sales_anomalies; the processors' counter and score gauge feed the alert RetailSalesAnomaly.`,
  raise: (rate: number) =>
    `Step 3 — raise the rate. The producer is steered through its control topic (as the control panel ` +
    `does) to ${rate} events/s. Watch "produced" climb, the sinks and processors follow, and the lag ` +
    `stay bounded: a consumer that kept up has a lag of about one batch.`,
  kill: (targets: string[]) =>
    `Step 4 — kill -9 mid-stream. ${targets.join(' and ')} die with SIGKILL while events flow: no ` +
    `shutdown hook, no flush, open transactions abandoned. The supervisor sees the process gone and ` +
    `starts it again; each resumes from its last committed offset (the raw sink commits offsets in the ` +
    `same Postgres transaction as the rows; the processors commit in Kafka transactions), so nothing ` +
    `is lost and nothing is counted twice. A restarted consumer is ready once it has rejoined its ` +
    `group, which waits for the broker to drop the killed member (its session timeout): expect tens of ` +
    `seconds of rising lag, then a fast drain.`,
  inject:
    `Step 5 — bad events, on purpose. (a) A poison record — bytes that are not an Avro sale event — ` +
    `written straight to the raw topic: every stage that reads it dead-letters it to the DLQ topic with a ` +
    `reason instead of stopping. (b) A valid event dated 3 hours back, through POST /v1/events: stored ` +
    `raw, but its hour closed long ago, so each windowed operator writes it to the late topic rather ` +
    `than silently changing a closed hour. (c) One request sent twice, as a client retrying after a lost ` +
    `answer: the topic holds it twice, sales_raw (idempotent by event id) once.`,
  drain:
    `Step 6 — stop and drain. The producer is paused and the demo waits until every consumer group ` +
    `has caught up with the end of its topics, so the stores hold everything that was sent.`,
  proof:
    `Step 7 — the proof. The raw topic is read again by an independent consumer (read_committed: what ` +
    `Kafka accepted, nothing aborted) and compared with every store: records, distinct event ids and ` +
    `sums, then lost / duplicated / wrong per store (the aggregate tables against their recomputation ` +
    `in SQL from sales_raw minus the late events).`,
} as const;

export const DASHBOARDS = [
  'Where to look on the running stack (the demo pipeline is not scraped; yours is):',
  '  Grafana http://127.0.0.1:3000 (folder Retail ETL) or the panel http://127.0.0.1:8080/panel:',
  '  - pipeline overview: "Events in /s", "Rows out /s per sink", "Consumer lag (records)" — step 2 and 3 there',
  '  - producer: "Target vs actual rate" — the rate you set; "Paused"',
  '  - processors: "Late and dead-lettered records /s", "Transactions /s by result" (aborts after a kill -9)',
  '  - sinks: "Rows written /s", "Errors", "Duplicate event ids" — a retried request stored once',
  '  - `retail-etl dlq list` shows dead letters with their reasons (docs/dlq.md); late events are in retail.sales.late',
  '  Prometheus http://127.0.0.1:9090; the supervisor restarts: retail_stack_restarts_total on :9407',
].join('\n');

const pad = (s: string | number, n: number) => String(s).padStart(n);
const eur = (cents: number) => (cents / 100).toFixed(2);

export function formatProof(p: DemoProof, failures: string[]): string {
  const lines: string[] = [];
  lines.push(`${'where'.padEnd(28)} ${pad('records', 9)} ${pad('event ids', 10)} ${pad('sum', 16)}`);
  lines.push(
    `${'raw topic (independent read)'.padEnd(28)} ${pad(p.topic.records, 9)} ${pad(p.topic.distinctIds, 10)} ${pad(eur(p.topic.amountCents), 16)}`,
  );
  lines.push(
    `${'postgres sales_raw'.padEnd(28)} ${pad(p.salesRaw.records, 9)} ${pad(p.salesRaw.distinctIds, 10)} ${pad(eur(p.salesRaw.amountCents), 16)}`,
  );
  lines.push(
    `${'postgres sales_hourly'.padEnd(28)} ${pad('', 9)} ${pad('', 10)} ${pad(eur(p.hourly.revenueCents), 16)}  (topic minus hourly's late events: ${eur(p.hourly.expectedCents)})`,
  );
  lines.push('');
  lines.push(
    `${'store'.padEnd(28)} ${pad('expected', 9)} ${pad('lost', 6)} ${pad('dup', 6)} ${pad('wrong', 6)}`,
  );
  for (const s of p.stores as StoreCheck[])
    lines.push(
      `${s.store.padEnd(28)} ${pad(s.expected, 9)} ${pad(s.lost, 6)} ${pad(s.duplicated, 6)} ${pad(s.wrong, 6)}  ${s.notes ?? ''}`,
    );
  lines.push('');
  lines.push(
    `duplicate request: event ${p.duplicate.eventId} is ${p.duplicate.inTopic}× in the topic, ${p.duplicate.inSalesRaw}× in sales_raw`,
  );
  lines.push(
    `late event ${p.late.eventId}: in the late topic for ${p.late.processors.join(', ') || 'NO processor'}, ${p.late.inSalesRaw}× in sales_raw`,
  );
  for (const x of p.poison)
    lines.push(
      `poison record at partition ${x.position.partition} offset ${x.position.offset}: in the DLQ from ${x.stages.join(', ') || 'NO stage'}, reason ${x.reasons.join(', ') || '—'}`,
    );
  lines.push('');
  lines.push(
    failures.length === 0
      ? 'PROOF HOLDS: 0 lost, 0 duplicated, 0 wrong in every store.'
      : `PROOF FAILED:\n  ${failures.join('\n  ')}`,
  );
  return lines.join('\n');
}
