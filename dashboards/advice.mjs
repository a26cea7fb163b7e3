/**
 * What good looks like and what to do when it is bad, per panel title: appended to the panel's
 * description (shown in Grafana's and the native view's panel info). The overview has advice for
 * every panel (test/dashboards/generate.test.ts); the other dashboards where a title matches.
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
};

/** The description with its advice, if the title has any. */
export function withAdvice(title, description) {
  const advice = ADVICE[title];
  return advice ? `${description.replace(/\.$/, '')}. ${advice}` : description;
}
