/**
 * What good looks like and what to do when it is bad, per panel title: appended to the panel's
 * description (shown in Grafana's and the native view's panel info). The overview has advice for
 * every panel, and so do the sinks and processors dashboards (test/dashboards/generate.test.ts).
 */
export const ADVICE = {
  'Events in /s':
    'Good: the producer’s target rate (`retail-etl producer status`) plus your ingest traffic. When bad: 0 with the producer running means it is paused or cannot reach Kafka — check `make status` and the producer dashboard.',
  'Rows out /s':
    'Good: close to events in once the sinks have caught up. When bad: well below events in for minutes — look at lag below and at the sinks dashboard (retries, stuck, DLQ).',
  'Max lag (s)':
    'Good: a few seconds. When bad: above 30 s and rising — find the group in “Consumer lag (seconds)”; a killed consumer costs up to the 30 s session timeout, more means it is stuck or too slow (RetailSinkStuck, RetailConsumerLagHigh).',
  'Processor lag (s)':
    'Good: a few seconds. When bad: rising steadily — the processors cannot keep up with the rate (see the processors dashboard: transactions, restore); lower the rate or add an instance (up to the partition count).',
  'Processes up':
    'Good: every pipeline process (7 with ClickHouse). When bad: a missing one is down or not scraped — `make status`; the supervisor restarts it, and a crash loop is alerted.',
  'Rows out /s per sink':
    'Good: each sink tracks events in (the aggregate sinks write far fewer rows: one per key and window). When bad: one sink at 0 while others write — that sink is down, stuck or fenced; see its log and the sinks dashboard.',
  'Consumer lag (seconds)':
    'Good: every line near 0 s. When bad: one line climbing — that group is behind; a sawtooth up to ~30 s after a kill is a rebalance, a steady climb is a slow or stuck consumer.',
  'Consumer lag (records)':
    'Good: small and flat (a batch or two). When bad: growing — compare with the seconds panel: many records but few seconds is a burst being absorbed, both growing is falling behind.',
  'Sinks vs processors: lag (seconds)':
    'Good: both near 0. When bad: processors behind while sinks keep up means raw rows are fresh but aggregates are late (the processors are the bottleneck); the reverse points at a sink.',
  'Sinks vs processors: lag (records)':
    'Good: flat. When bad: a processor stage growing without bound — the top-SKUs merge stage behind its partials, or the partition stage behind the raw topic.',
  'Event-to-row latency (Kafka timestamp → row committed)':
    'Good: p95 well under 1 s, p99 under 5 s (the SLO). When bad: p99 above 5 s — lag or slow flushes; the SLO panel shows how much error budget is burning.',
  'Event time → row latency':
    'Good: follows the panel on the left plus the generator’s deliberate lateness (late baskets). When bad: far above it — clients send old events, or a backlog is being replayed.',
  'DLQ records /s':
    'Good: 0 (every line at 0 from the start). When bad: any sustained rate — `retail-etl dlq list --reason …` shows the records and why; fix the producer or the schema, then `dlq replay`.',
  'Late events /s':
    'Good: the producer’s configured late share, and few “too late” at the processors. When bad: many too late — watermarks run ahead (a partition far ahead of others) or lateness is set too short; the records are in retail.sales.late, none is lost.',
  'SLO: share of rows slower than 5 s':
    'Good: below the dashed 1 % budget line. When bad: the 5-minute line above the budget is a burn; a fast burn pages (RetailErrorBudgetBurnFast, RetailErrorBudgetBurnSlow) — see lag and latency above.',
  'HTTP ingest (POST /v1/events)':
    'Good: 202s, p95 in tens of milliseconds. When bad: 429 (overloaded: clients must back off), 503 (Kafka unreachable: clients retry the same request, stored once), 4xx (clients send invalid events — the body names index, field and reason).',
  'Supervisor: restarts and crash loops':
    'Good: 0 restarts, no crash loop. When bad: restarts climbing — the process keeps dying (its log: .stack/logs/<name>.log); a crash loop means the supervisor gave up (RetailProcessCrashLoop).',
  'Rows written /s':
    'Good: each sink tracks the raw topic’s rate. When bad: one sink at 0 while events flow — it is down, stuck (Errors panel) or fenced after a rebalance; see .stack/logs/<sink>.log.',
  'Rows per batch':
    'Good: grows with the rate (ClickHouse wants tens of thousands of rows per insert at high rates). When bad: tiny batches at a high rate — flushes are driven by time; raise the sink’s maxWaitMs if latency allows.',
  'Flush time (write + commit of one batch)':
    'Good: tens of milliseconds, well under the flush interval. When bad: p99 in seconds — the database is slow (locks, disk; see the servers dashboard) and lag will follow.',
  'Buffered rows and backpressure':
    'Good: buffered rows drop to 0 after each flush, backpressure near 0. When bad: backpressure near 1 s/s — fetching is paused because writes cannot keep up with the input.',
  'Lag per partition (records)':
    'Good: every partition small and flat. When bad: one partition growing alone — a hot key or a poison record being retried; look at Errors and the DLQ.',
  'Lag per partition (seconds)':
    'Good: about a second. When bad: rising on every partition — the sink is too slow for the rate; on one partition — see the records panel.',
  'Daily partitions':
    'Good: days created ahead, retention removing old days, guard rows at 0. When bad: guard rows rising — events outside the created days (very old or far-future event times); `retail-etl pg retention` shows how many the guard holds.',
  Errors:
    'Good: all lines at 0 (skipped records appear after a restart: already written, not written twice). When bad: stuck at 1 — one batch retried for minutes (RetailSinkStuck: read the last error in the log); fenced — a rebalance took partitions over; DLQ — see `retail-etl dlq list`.',
  'Duplicate event ids':
    'Good: exact re-sends at the producer’s duplicate share, conflicting duplicates at 0. When bad: conflicting duplicates — one event_id sent with different content; `retail-etl dlq list --reason conflicting_duplicate` shows both.',
  'Event-to-row latency':
    'Good: p95 under 1 s from the Kafka timestamp. When bad: rising with lag — the sink is behind; rising alone from the event time — clients send old events.',
  'Records /s by outcome':
    'Good: accepted follows the input rate, duplicates at the producer’s re-send share, invalid at 0. When bad: invalid — the DLQ holds them with reasons; many late — see the watermark.',
  'Watermark lag':
    'Good: about the allowed out-of-orderness plus a few seconds. When bad: growing — a partition stopped advancing (no new events, or stuck; docs/processors.md explains idleness) and windows stay open.',
  'Open windows':
    'Good: a few per key and operator (the current hour, the rolling minute buckets). When bad: growing steadily — windows do not close: the watermark is stuck (see Watermark lag).',
  'Windows closed /min':
    'Good: a burst at each hour’s end plus lateness for hourly and top SKUs, a steady flow for the rolling hour. When bad: 0 past an hour boundary plus lateness — the watermark is stuck.',
  'State keys':
    'Good: bounded — aggregate keys of open windows and the dedup horizon’s ids (default 5 minutes of events). When bad: growing without bound — the horizon or window closing is not working; restores get slower.',
  'Transaction commit time':
    'Good: tens of milliseconds (one transaction per task every 100 ms). When bad: seconds — the broker is slow or the transaction coordinator is loading after a restart; lag will grow.',
  'Transactions /s by result':
    'Good: committed only, about 10 per second per task under load, none when idle. When bad: aborted or fenced — a commit failed and the task was restored, or another instance took the task over (a rebalance; fenced zombies are expected then).',
  'Sales anomalies':
    'Good: a few flagged store-hours a day at most, the worst |score| under the threshold line. When bad: the same store flagged hour after hour — look at it (`SELECT * FROM sales_anomalies ORDER BY window_start DESC`): a real change in trade, or a source that stopped sending (direction down, observed 0); many stores at once points at the input (a paused producer, a broken source) rather than at the stores (docs/anomalies.md).',
  'Late and dead-lettered records /s':
    'Good: late at the producer’s late share, DLQ at 0. When bad: many late — lateness too short for your clients; DLQ — undecodable records, see `retail-etl dlq list`.',
  'Restore from changelog':
    'Good: seconds, after a start or a rebalance only. When bad: tens of seconds — state is large (see State size) and /readyz stays "restoring" meanwhile.',
  'Restore progress':
    'Good: climbs to 1 within seconds. When bad: stuck below 1 with retries rising — the broker is unreachable or the changelog partition has no leader; it resumes where it was.',
  'State size: what a restore would read':
    'Good: flat over hours. When bad: climbing for hours — compaction or the dedup horizon is not pruning; restores will slow down.',
  'Changelog bytes written /s':
    'Good: follows the input rate (updates of aggregate keys and dedup ids). When bad: far above the input bytes — too many keys change per event; check State keys.',
};

/** The description with its advice, if the title has any. */
export function withAdvice(title, description) {
  const advice = ADVICE[title];
  return advice ? `${description.replace(/\.$/, '')}. ${advice}` : description;
}
