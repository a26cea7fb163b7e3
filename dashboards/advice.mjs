/**
 * What good looks like and what to do when it is bad, per panel title: appended to the panel's
 * description (shown in Grafana's and the native view's panel info). Every panel but the "How to read
 * this" text has advice (test/dashboards/generate.test.ts). A title used on two dashboards with
 * different meanings gets its advice per dashboard in DASHBOARD_ADVICE (by uid), which wins.
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
  // --- producer ---------------------------------------------------------------------------------
  'Target rate':
    'Good: the rate you set (`retail-etl producer status`, the control panel), 0 only while paused. When bad: not what you set — a control change was refused (above the safety cap: see Errors and control changes) or a replica has not read the control topic yet.',
  'Actual rate':
    'Good: within a few per cent of the target. When bad: well below it — Kafka acknowledges too slowly (Send latency) or the machine is short of CPU; the producer does not make up for lost time.',
  'Safety cap':
    'Good: above any rate you mean to set (default 50,000/s, `--max-rate`). When bad: a rate you set is refused (`outside 1..<cap>` in the replica’s lastChange) — restart the producer with a higher `--max-rate` if the machine can take it.',
  Paused:
    'Good: running, unless you paused it (`retail-etl producer pause` or the panel). When bad: PAUSED when nobody meant to — `retail-etl producer status` names who paused it and when; `retail-etl producer resume`.',
  'Target vs actual rate':
    'Good: each replica’s actual line on its target line. When bad: actual below target for minutes — Kafka or the CPU holds that replica back (Send latency, the servers dashboard); a configured line above target means it is paused or capped.',
  'Events /s by kind':
    'Good: sales most, returns and intentional duplicates at their configured shares. When bad: a kind at 0 or far off its share — the producer runs with other settings than you think (`retail-etl producer status`, its start options).',
  'Send latency':
    'Good: p99 in tens of milliseconds (the broker acknowledges each request). When bad: p99 in seconds — the broker is slow (disk, GC: the servers dashboard’s request latency) or unreachable; the actual rate drops and RetailProducerErrors may follow.',
  'Events per produce request':
    'Good: grows with the rate (hundreds per request at thousands of events/s). When bad: 1–2 events per request at a high rate — every event is its own request, so latency and CPU climb; check the producer’s batch settings.',
  'Throughput (bytes/s)':
    'Good: follows the actual rate (about 119 bytes per Avro event, docs/decisions/0002). When bad: bytes climbing while events do not — larger events than expected; 0 while the target is not — nothing is acknowledged (Errors panel).',
  'Errors and control changes':
    'Good: errors at 0; control changes applied only when someone changes the rate. When bad: send errors — Kafka refuses or times out (retried with the same records: no duplicates; RetailProducerErrors); invalid_generated — a generator bug (open an issue with the seed from the log); refused changes — a rate outside the cap.',
  // --- servers ----------------------------------------------------------------------------------
  Broker:
    'Good: up. When bad: DOWN — the broker (or the agent in its JVM) does not answer and everything stops writing and reading: `make status`, `.stack/logs/kafka.log` (RetailKafkaBrokerDown).',
  'Active controller':
    'Good: exactly 1. When bad: 0 — the KRaft quorum has no leader, topics cannot be created nor leaders move (RetailKafkaNoActiveController: the broker log’s controller errors); 2 — a split brain, check controller.quorum.voters.',
  'Under-replicated partitions':
    'Good: 0 (always, with the stack’s single broker). When bad: above 0 for minutes — a follower is down or behind and one more failure can lose acknowledged writes (RetailKafkaUnderReplicatedPartitions).',
  'Offline partitions':
    'Good: 0. When bad: any — those partitions have no leader: producers time out and their consumers stall; bring the brokers holding them back (RetailKafkaOfflinePartitions).',
  'Broker bytes in / out':
    'Good: in follows the producer’s and ingest’s bytes; out a small multiple of in (each consumer group reads every record). When bad: out far above in — a group is replaying from the start (a reset or restore); in at 0 while the producer runs — see Broker and the producer dashboard.',
  'Broker messages in /s':
    'Good: the producer’s rate plus the processors’ output (aggregates, changelogs, late and DLQ records). When bad: at 0 while events are sent — the broker does not append; far above — a client retries in a loop (the producer’s errors).',
  'Request latency p99':
    'Good: Produce and Fetch p99 in tens of milliseconds (a Fetch waits up to its max wait when idle: hundreds of ms is normal then). When bad: Produce p99 in seconds — the broker’s disk or CPU is saturated, or a long GC pause; every stage above slows down.',
  'Partitions and leaders':
    'Good: flat, leaders equal to partitions on a single broker. When bad: partitions jumping up — something creates topics (tests leave none); leaders below partitions — some partitions have no leader here (Offline partitions).',
  Postgres:
    'Good: up. When bad: DOWN — the exporter cannot log in and query: Postgres is down (the sinks retry, the query API fails) or the retail_monitor role is broken (RetailPostgresDown: `.stack/logs/postgres.log`).',
  'Connections used':
    'Good: well under 85 %. When bad: above 85 % — new logins will fail with "too many clients" (a restarted sink cannot connect); see Connections by state (RetailPostgresConnectionsHigh).',
  'Database size':
    'Good: grows with the days kept and stays flat once retention removes old days. When bad: growing past the retention horizon — retention is not running (`retail-etl pg retention`) or dead rows pile up (Largest tables; VACUUM).',
  'Deadlocks (1h)':
    'Good: 0. When bad: any — two transactions waited on each other and one was rolled back (a sink retries its batch); usually two writers on the same rows (two sinks on one table, or a manual job): the Postgres log names both statements.',
  'Connections by state':
    'Good: mostly idle pooled connections, a few active, idle in transaction near 0, all under the limit line. When bad: idle climbing — a pool too large or a process leaking connections; idle in transaction — a process stuck mid-transaction holding locks (pg_stat_activity names it).',
  'Transactions /s':
    'Good: commits follow the sinks’ batches (a few per second per sink), rollbacks near 0. When bad: rollbacks climbing — writes fail and are retried (the sinks dashboard’s Errors); commits at 0 while events flow — the sinks are not writing.',
  'WAL written':
    'Good: follows the rows written (roughly the raw rows’ bytes plus indexes). When bad: far above the data written — many updates (aggregate upserts, dead rows) or a bulk job; the disk fills faster (Free disk).',
  'Locks by mode':
    'Good: a handful of row and access locks that come and go. When bad: exclusive locks held for long — a migration, a detach or a manual DDL blocks the sinks; pg_locks with pg_stat_activity names the holder.',
  'Largest tables':
    'Good: the day partitions of sales_raw, each about a day of events, the oldest removed by retention. When bad: one table far larger than its rows explain — bloat (VACUUM); the guard partition growing — events outside the created days.',
  ClickHouse:
    'Good: up. When bad: DOWN — the ClickHouse sinks retry with the same dedup tokens and analytics from ClickHouse fail: `make status`, `.stack/logs/clickhouse.log` (RetailClickhouseDown).',
  'Running queries':
    'Good: 0 or 1 (the native server runs one statement at a time). When bad: stuck at 1 for long — one long query holds the engine and the sinks’ inserts wait behind it (their flush time rises); find the client that sent it.',
  'Active parts':
    'Good: flat in the hundreds — merges keep up with inserts. When bad: climbing steadily — inserts are too small and too frequent (raise the ClickHouse sinks’ batch size or wait time); thousands of parts slow inserts and queries down.',
  'Bytes on disk':
    'Good: grows with the events stored, compressed (a fraction of Postgres’ size). When bad: growing much faster than events — duplicate or probe rows not merged away; see Bytes on disk per table.',
  'ClickHouse queries and inserts':
    'Good: inserts follow the ClickHouse sinks’ batches, queries follow your analytics. When bad: inserts at 0 while the sinks run — they cannot write (the sinks dashboard’s Errors); queries climbing — a dashboard or client polls too often.',
  'Parts per table':
    'Good: tens per table, flat. When bad: one table’s parts climbing — its writer inserts in tiny batches; a table with thousands of parts will throttle inserts.',
  'Bytes on disk per table':
    'Good: sales_raw the largest, aggregates small. When bad: an id or probe table as large as sales_raw — its rows are not being merged or deleted; a test table left over — drop it.',
  'Free disk of the data directories':
    'Good: above 10 % everywhere. When bad: below 10 % — Kafka stops, Postgres refuses writes, ClickHouse inserts fail when full (RetailDataDiskFilling): `du -sh .stack/data/*`, then delete what is not needed or move .stack to a larger disk.',
  // --- Kafka Connect ----------------------------------------------------------------------------
  'Connect up':
    'Good: up while you run the Connect baseline, not running otherwise (it runs on demand). When bad: not running when you started it — `retail-etl connect status`, the worker’s log `.stack/logs/kafka-connect.log`.',
  'Failed tasks':
    'Good: 0. When bad: 1 or more — a task failed and does not restart by itself (RetailConnectorFailed): `retail-etl connect status` prints its trace; fix the cause and restart the task or `retail-etl connect apply`.',
  'Connector lag (s)':
    'Good: a few seconds while the worker runs. When bad: rising — the connector cannot keep up (a failed task, a slow target) or is paused; compare with Tasks by state.',
  'Connector lag (records)':
    'Good: small and flat (about a batch). When bad: growing — the connector writes slower than events arrive; compare its rate with our sink’s (docs/connect.md).',
  'Connector state':
    'Good: RUNNING for every connector. When bad: FAILED — see Failed tasks; PAUSED — someone paused it through the REST API (resume it there); UNASSIGNED — the worker is restarting or has no capacity.',
  'Tasks by state':
    'Good: every task RUNNING. When bad: FAILED — `retail-etl connect status` shows the trace; UNASSIGNED for more than a minute — the worker lost its group membership (its log).',
};

/** Advice for a title that means something else on one dashboard (by uid). */
export const DASHBOARD_ADVICE = {
  'retail-connect': {
    'Lag per partition (records)':
      'Good: every partition small and flat. When bad: one partition growing alone — a hot key, or a task stuck on one record (Failed tasks); every partition growing — the connector is too slow for the rate.',
    'Lag per partition (seconds)':
      'Good: a few seconds. When bad: rising on every partition — the connector is paused, failed or too slow (Connector state, Tasks by state); on one partition — see the records panel.',
  },
};

/** The description with its advice, if the title has any (on dashboard `uid`, when given). */
export function withAdvice(title, description, uid) {
  const advice = (uid ? DASHBOARD_ADVICE[uid]?.[title] : undefined) ?? ADVICE[title];
  return advice ? `${description.replace(/\.$/, '')}. ${advice}` : description;
}
