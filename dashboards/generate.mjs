#!/usr/bin/env node
/**
 * The Grafana dashboards as code: `node dashboards/generate.mjs` writes dashboards/*.json, which
 * compose provisions into Grafana (dashboards/grafana/provisioning). Edit here, regenerate, commit
 * both; test/dashboards/generate.test.ts fails when the JSON is out of date, and
 * test/dashboards/dashboards.int.test.ts evaluates every expression against a real Prometheus.
 *
 * An expression ending in `or vector(0)` is a counter that has no series until its first event
 * (errors, retries): the panel shows 0 instead of "No data". The dashboard test still checks that
 * every metric such an expression names is exported by a running process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import prettier from 'prettier';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serversDashboard } from './servers.mjs';
import { withAdvice } from './advice.mjs';

const DS = { type: 'prometheus', uid: 'prometheus' };

let nextId = 1;
/** What every Prometheus panel has: its type, words, data source, unit defaults and queries. */
function panel(type, title, description, defaults, options, targets, w) {
  return {
    type,
    title,
    description,
    datasource: DS,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: targets.map((t) => ({ datasource: DS, ...t })),
    w,
  };
}

/** A time series panel; `targets` are [expr, legend] pairs. */
function ts(title, description, targets, opts = {}) {
  return panel(
    'timeseries',
    title,
    description,
    { unit: opts.unit ?? 'short', min: opts.min ?? 0, custom: { lineWidth: 1, fillOpacity: 10 } },
    { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets.map(([expr, legendFormat], i) => ({ expr, legendFormat, refId: String.fromCharCode(65 + i) })),
    opts.w ?? 12,
  );
}

/** A single-number panel. */
function stat(title, description, expr, opts = {}) {
  return panel(
    'stat',
    title,
    description,
    {
      unit: opts.unit ?? 'short',
      decimals: opts.decimals,
      thresholds: { mode: 'absolute', steps: opts.steps ?? [{ color: 'green', value: null }] },
      mappings: opts.mappings ?? [],
    },
    { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background', graphMode: 'none' },
    [{ expr, legendFormat: opts.legend ?? '', refId: 'A', instant: false }],
    opts.w ?? 6,
  );
}

function text(title, content, w = 24) {
  return { type: 'text', title, options: { mode: 'markdown', content }, w, h: 4 };
}

/** Lay panels out left to right in rows of 24 columns. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  return panels.map((p) => {
    const { w, h: fixedH, ...rest } = p;
    const h = fixedH ?? (p.type === 'stat' ? 4 : 8);
    if (x + w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const out = { id: nextId++, gridPos: { x, y, w, h }, ...rest };
    x += w;
    rowH = Math.max(rowH, h);
    return out;
  });
}

function dashboard(uid, title, description, panels) {
  nextId = 1;
  return {
    uid,
    title,
    description,
    tags: ['retail-etl'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    timepicker: {},
    templating: { list: [] },
    annotations: { list: [] },
    panels: layout(
      panels.map((p) =>
        p.type === 'text' ? p : { ...p, description: withAdvice(p.title, p.description, uid) },
      ),
    ),
  };
}

const pct = (q, metric, by, window = '5m') =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${metric}_bucket[${window}])))`;

const overview = dashboard(
  'retail-overview',
  'Retail ETL — pipeline overview',
  'Is the pipeline healthy? Events in, rows out, lag, event-to-row latency, DLQ, late events.',
  [
    text(
      'How to read this',
      'Healthy: **rows out** per sink follows **events in**, **lag** stays in seconds, **p95 event-to-row** stays under 5 s (the SLO), ' +
        'and **DLQ** / **late** stay small. Alerts and their runbooks: docs/observability.md.',
    ),
    stat(
      'Events in /s',
      'Events acknowledged by Kafka per second (producer + HTTP ingest), last minute',
      'sum(rate(retail_producer_events_total[1m])) + (sum(rate(retail_ingest_events_total{result="accepted"}[1m])) or vector(0))',
      { decimals: 0 },
    ),
    stat('Rows out /s', 'Rows committed per second, all sinks', 'sum(retail:sink_rows:rate1m)', {
      decimals: 0,
    }),
    stat(
      'Max lag (s)',
      'The furthest-behind consumer group, in Kafka time',
      'max(retail:consumer_lag_seconds:max)',
      {
        unit: 's',
        steps: [
          { color: 'green', value: null },
          { color: 'orange', value: 30 },
          { color: 'red', value: 60 },
        ],
      },
    ),
    stat(
      'Processor lag (s)',
      'The furthest-behind processor group (partition stage or top-SKUs merge), in Kafka time',
      'max(retail_processor_consumer_lag_seconds) or vector(0)',
      {
        unit: 's',
        steps: [
          { color: 'green', value: null },
          { color: 'orange', value: 30 },
          { color: 'red', value: 60 },
        ],
      },
    ),
    stat('Processes up', 'Pipeline processes Prometheus scrapes successfully', 'sum(up{job=~"retail-.+"})', {
      decimals: 0,
    }),
    ts('Events in /s', 'From the producer (by kind) and from POST /v1/events', [
      ['sum by (kind) (rate(retail_producer_events_total[1m]))', 'producer {{kind}}'],
      ['sum(rate(retail_ingest_events_total{result="accepted"}[1m]))', 'HTTP ingest'],
    ]),
    ts('Rows out /s per sink', 'Rows durably committed into each target', [
      ['retail:sink_rows:rate1m', '{{sink}}'],
    ]),
    ts(
      'Consumer lag (seconds)',
      'Per group and topic: Kafka timestamp of the newest record minus that of the next record to commit',
      [['retail:consumer_lag_seconds:max', '{{group}} {{topic}}']],
      { unit: 's' },
    ),
    ts(
      'Consumer lag (records)',
      'Per group and topic: high watermark minus committed offset, summed over partitions',
      [['retail:consumer_lag_messages:sum', '{{group}} {{topic}}']],
    ),
    ts(
      'Sinks vs processors: lag (seconds)',
      'Worst partition of each sink and each processor stage: derived aggregates fall behind here first',
      [
        ['max by (sink) (retail_sink_consumer_lag_seconds)', 'sink {{sink}}'],
        [
          'max by (topology, stage) (retail_processor_consumer_lag_seconds)',
          'processor {{topology}} {{stage}}',
        ],
      ],
      { unit: 's' },
    ),
    ts('Sinks vs processors: lag (records)', 'Summed over partitions, per sink and per processor stage', [
      ['sum by (sink) (retail_sink_consumer_lag_messages)', 'sink {{sink}}'],
      [
        'sum by (topology, stage) (retail_processor_consumer_lag_messages)',
        'processor {{topology}} {{stage}}',
      ],
    ]),
    ts(
      'Event-to-row latency (Kafka timestamp → row committed)',
      'p50/p95/p99 over 5 minutes; the SLO is p99-ish: 99 % under 5 s',
      [
        ['retail:event_to_row_seconds:p50_5m{from="ingest"}', 'p50 {{sink}}'],
        ['retail:event_to_row_seconds:p95_5m{from="ingest"}', 'p95 {{sink}}'],
        ['retail:event_to_row_seconds:p99_5m{from="ingest"}', 'p99 {{sink}}'],
      ],
      { unit: 's' },
    ),
    ts(
      'Event time → row latency',
      'From the event’s own time: includes lateness in the input (late baskets by design)',
      [
        ['retail:event_to_row_seconds:p50_5m{from="event"}', 'p50 {{sink}}'],
        ['retail:event_to_row_seconds:p95_5m{from="event"}', 'p95 {{sink}}'],
        ['retail:event_to_row_seconds:p99_5m{from="event"}', 'p99 {{sink}}'],
      ],
      { unit: 's' },
    ),
    ts('DLQ records /s', 'Records sent to retail.sales.dlq, by component and reason', [
      ['sum by (sink, reason) (rate(retail_sink_dlq_records_total[5m]))', 'sink {{sink}}: {{reason}}'],
      [
        'sum by (processor, reason) (rate(retail_processor_dlq_records_total[5m]))',
        'processor {{processor}}: {{reason}}',
      ],
    ]),
    ts(
      'Late events /s',
      'Generated late by the producer, and later than the allowed lateness at the processors (sent to retail.sales.late)',
      [
        ['sum(rate(retail_producer_late_events_total[5m]))', 'generated late'],
        ['sum by (processor) (rate(retail_processor_late_records_total[5m]))', 'too late: {{processor}}'],
      ],
    ),
    ts(
      'SLO: share of rows slower than 5 s',
      'Against the error budget of 1 % (dashed line)',
      [
        ['retail:slo_event_to_row_errors:ratio_rate5m', '5 min'],
        ['retail:slo_event_to_row_errors:ratio_rate1h', '1 h'],
        ['retail:slo_event_to_row:error_budget', 'budget'],
      ],
      { unit: 'percentunit' },
    ),
    ts(
      'HTTP ingest (POST /v1/events)',
      'Requests/s by HTTP status, and p95 answer time (s, right axis in Grafana)',
      [
        ['sum by (status) (rate(retail_ingest_requests_total[5m]))', 'requests/s {{status}}'],
        [pct(0.95, 'retail_ingest_request_duration_seconds', []), 'p95 answer time (s)'],
        [pct(0.95, 'retail_ingest_kafka_send_duration_seconds', []), 'p95 Kafka send (s)'],
      ],
    ),
    ts('Processes up', '1 = scraped, 0 = down', [['up{job=~"retail-.+"}', '{{job}}']]),
    ts(
      'Supervisor: restarts and crash loops',
      'Native stack only (`retail-etl stack supervise`): restarts in the last hour per process (should be 0), and 1 while a process is given up on as a crash loop (see docs/runbook.md)',
      [
        [
          'sum by (component) (increase(retail_stack_restarts_total[1h])) or vector(0)',
          'restarts/h {{component}}',
        ],
        ['max by (component) (retail_stack_crash_loop)', 'crash loop {{component}}'],
      ],
    ),
  ],
);

const producer = dashboard(
  'retail-producer',
  'Retail ETL — producer',
  'The synthetic producer: target vs actual rate, pause, batches, send latency, control changes.',
  [
    text(
      'How to read this',
      '**Actual** should track **target**; a gap means Kafka (or the cap) holds the producer back. **Paused** = 1 after ' +
        '`retail-etl producer pause` or the control panel’s Pause button (target then drops to 0).',
    ),
    stat(
      'Target rate',
      'Events/s the producer aims at (0 while paused)',
      'sum(retail_producer_target_rate)',
      {
        decimals: 0,
      },
    ),
    stat('Actual rate', 'Acknowledged events/s over the last 5 s', 'sum(retail_producer_actual_rate)', {
      decimals: 0,
    }),
    stat('Safety cap', 'Highest rate a control change may set', 'min(retail_producer_rate_cap)', {
      decimals: 0,
    }),
    stat('Paused', '1 = paused through the control topic', 'max(retail_producer_paused)', {
      mappings: [
        {
          type: 'value',
          options: { 0: { text: 'running', color: 'green' }, 1: { text: 'PAUSED', color: 'orange' } },
        },
      ],
    }),
    ts('Target vs actual rate', 'Per replica', [
      ['retail_producer_target_rate', 'target {{instance}}'],
      ['retail_producer_actual_rate', 'actual {{instance}}'],
      ['retail_producer_configured_rate', 'configured (when not paused) {{instance}}'],
    ]),
    ts('Events /s by kind', 'sale, return, duplicate (intentional re-send)', [
      ['sum by (kind) (rate(retail_producer_events_total[1m]))', '{{kind}}'],
    ]),
    ts(
      'Send latency',
      'Produce request to acknowledgement',
      [
        [pct(0.5, 'retail_producer_send_duration_seconds', [], '1m'), 'p50'],
        [pct(0.99, 'retail_producer_send_duration_seconds', [], '1m'), 'p99'],
      ],
      { unit: 's' },
    ),
    ts('Events per produce request', 'Median and p95 batch size', [
      [pct(0.5, 'retail_producer_batch_events', [], '1m'), 'p50'],
      [pct(0.95, 'retail_producer_batch_events', [], '1m'), 'p95'],
    ]),
    ts(
      'Throughput (bytes/s)',
      'Encoded record bytes acknowledged',
      [['sum(rate(retail_producer_bytes_total[1m]))', 'bytes/s']],
      { unit: 'Bps' },
    ),
    ts(
      'Errors and control changes',
      'Failed sends (retried, no duplicates) and control records applied/refused',
      [
        ['sum by (kind) (rate(retail_producer_errors_total[5m])) or vector(0)', 'errors {{kind}}'],
        [
          'sum by (kind, result) (increase(retail_producer_control_changes_total[5m]))',
          'control {{kind}} {{result}}',
        ],
      ],
    ),
  ],
);

const sinks = dashboard(
  'retail-sinks',
  'Retail ETL — sinks',
  'Postgres and ClickHouse sinks: rows, batch sizes, flush times, lag per partition, partitions, errors.',
  [
    text(
      'How to read this',
      'Batches grow under load (fewer, larger writes); **flush time** should stay well under the flush interval. ' +
        '**Backpressure** means fetching waited for a slow flush. **Guard rows** landed in the DEFAULT partition (event day outside the managed range).',
    ),
    ts('Rows written /s', 'Committed rows per sink', [['retail:sink_rows:rate1m', '{{sink}}']]),
    ts('Rows per batch', 'p50 / p95', [
      [pct(0.5, 'retail_sink_batch_rows', ['sink']), 'p50 {{sink}}'],
      [pct(0.95, 'retail_sink_batch_rows', ['sink']), 'p95 {{sink}}'],
    ]),
    ts(
      'Flush time (write + commit of one batch)',
      'p50 / p95 / p99',
      [
        [pct(0.5, 'retail_sink_flush_duration_seconds', ['sink']), 'p50 {{sink}}'],
        [pct(0.95, 'retail_sink_flush_duration_seconds', ['sink']), 'p95 {{sink}}'],
        [pct(0.99, 'retail_sink_flush_duration_seconds', ['sink']), 'p99 {{sink}}'],
      ],
      { unit: 's' },
    ),
    ts(
      'Buffered rows and backpressure',
      'Rows waiting for the next flush; seconds per second fetching was paused',
      [
        ['sum by (sink) (retail_sink_buffered_rows)', 'buffered {{sink}}'],
        [
          'sum by (sink) (rate(retail_sink_backpressure_seconds_total[1m])) or vector(0)',
          'backpressure s/s {{sink}}',
        ],
      ],
    ),
    ts('Lag per partition (records)', 'High watermark minus committed offset', [
      ['retail_sink_consumer_lag_messages', '{{sink}} p{{partition}}'],
    ]),
    ts(
      'Lag per partition (seconds)',
      'Kafka time between the committed record and the newest',
      [['retail_sink_consumer_lag_seconds', '{{sink}} p{{partition}}']],
      { unit: 's' },
    ),
    ts('Daily partitions', 'Created ahead, dropped/detached by retention; rows sent to the guard partition', [
      ['sum by (sink) (retail_sink_partitions_created_total)', 'created {{sink}}'],
      [
        'sum by (sink, mode) (retail_sink_partitions_dropped_total) or vector(0)',
        'removed {{sink}} {{mode}}',
      ],
      ['sum by (sink) (rate(retail_sink_guard_rows_total[5m])) or vector(0)', 'guard rows/s {{sink}}'],
    ]),
    ts(
      'Errors',
      'Write retries, a batch stuck in retries (1), fenced segments, DLQ records, records skipped as already written',
      [
        ['sum by (sink) (rate(retail_sink_write_retries_total[5m])) or vector(0)', 'retries/s {{sink}}'],
        ['max by (sink) (retail_sink_stuck) or vector(0)', 'stuck {{sink}}'],
        ['sum by (sink) (increase(retail_sink_fenced_total[5m])) or vector(0)', 'fenced {{sink}}'],
        ['sum by (sink) (rate(retail_sink_dlq_records_total[5m]))', 'DLQ/s {{sink}}'],
        ['sum by (sink) (rate(retail_sink_records_skipped_total[5m])) or vector(0)', 'skipped/s {{sink}}'],
      ],
    ),
    ts(
      'Duplicate event ids',
      'Records not stored because their event_id is already in sales_raw: exact re-sends dropped, conflicting duplicates dead-lettered (first write wins)',
      [
        [
          'sum by (sink) (rate(retail_sink_duplicates_dropped_total[5m])) or vector(0)',
          're-sends dropped/s {{sink}}',
        ],
        [
          'sum by (sink) (increase(retail_sink_conflicting_duplicates_total[5m])) or vector(0)',
          'conflicting (5m) {{sink}}',
        ],
      ],
    ),
    ts(
      'Event-to-row latency',
      'p95 from the Kafka timestamp and from the event time',
      [['retail:event_to_row_seconds:p95_5m', '{{sink}} from {{from}}']],
      { unit: 's', w: 24 },
    ),
  ],
);

const processors = dashboard(
  'retail-processors',
  'Retail ETL — processors',
  'Event-time processors: watermarks, windows, state, transactions, late and invalid records.',
  [
    text(
      'How to read this',
      '**Watermark lag** is wall clock minus the event-time watermark: it grows when input stops or a partition is idle. ' +
        'Windows close (and emit their final result) once the watermark passes their end plus the allowed lateness. ' +
        '**Consumer lag** is how far each stage of the topology (partition stage on the raw topic, top-SKUs merge on its partials) is behind. ' +
        '**Transactions** are per task, every commit interval while records flow, none when idle.',
    ),
    ts('Consumer lag (records)', 'High watermark minus committed offset, per topology stage and partition', [
      ['retail_processor_consumer_lag_messages', '{{stage}} p{{partition}}'],
    ]),
    ts(
      'Consumer lag (seconds)',
      'Kafka time of the newest record minus that of the next record to commit',
      [['retail_processor_consumer_lag_seconds', '{{stage}} p{{partition}}']],
      { unit: 's' },
    ),
    ts('Records /s by outcome', 'accepted, duplicate, late, invalid', [
      ['sum by (processor, outcome) (rate(retail_processor_records_total[1m]))', '{{processor}} {{outcome}}'],
    ]),
    ts(
      'Watermark lag',
      'Wall clock minus the partition watermark (per processor, worst partition)',
      [['max by (processor) (retail_processor_watermark_lag_seconds)', '{{processor}}']],
      { unit: 's' },
    ),
    ts('Open windows', 'Windows holding state', [
      ['sum by (processor) (retail_processor_windows_open)', '{{processor}}'],
    ]),
    ts('Windows closed /min', 'Final results emitted', [
      ['sum by (processor) (rate(retail_processor_windows_closed_total[5m])) * 60', '{{processor}}'],
    ]),
    ts('State keys', 'Aggregate keys and dedup entries held in memory', [
      ['sum by (processor, kind) (retail_processor_state_keys)', '{{processor}} {{kind}}'],
    ]),
    ts(
      'Transaction commit time',
      'First send of a transaction to its commit: p50 / p99 (processor = topology or the top-SKUs merge)',
      [
        [pct(0.5, 'retail_processor_transaction_commit_seconds', ['processor'], '1m'), 'p50 {{processor}}'],
        [pct(0.99, 'retail_processor_transaction_commit_seconds', ['processor'], '1m'), 'p99 {{processor}}'],
      ],
      { unit: 's' },
    ),
    ts('Transactions /s by result', 'committed, aborted, fenced', [
      [
        'sum by (processor, result) (rate(retail_processor_transactions_total[1m]))',
        '{{processor}} {{result}}',
      ],
    ]),
    ts(
      'Late and dead-lettered records /s',
      'Too late for their window (→ retail.sales.late) and undecodable (→ DLQ)',
      [
        ['sum by (processor) (rate(retail_processor_late_records_total[5m]))', 'late {{processor}}'],
        [
          'sum by (processor) (rate(retail_processor_dlq_records_total[5m])) or vector(0)',
          'DLQ {{processor}}',
        ],
      ],
    ),
    ts(
      'Sales anomalies',
      'Store-hours flagged per hour (revenue or units against the store’s own history) and the worst last score; rows in sales_anomalies',
      [
        [
          'sum by (metric, direction) (increase(retail_processor_anomalies_total[1h])) or vector(0)',
          '{{metric}} {{direction}} /h',
        ],
        ['max by (metric) (abs(retail_processor_anomaly_score))', 'worst |score| {{metric}}'],
        ['max(retail_processor_anomaly_threshold)', 'threshold'],
      ],
    ),
    ts('Restore from changelog', 'Time to rebuild state on start or rebalance; events replayed', [
      [
        'max by (processor) (retail_processor_restore_seconds_sum / retail_processor_restore_seconds_count)',
        'mean restore time (s) {{processor}}',
      ],
      [
        'sum by (processor) (increase(retail_processor_restored_events_total[1h]))',
        'events replayed {{processor}}',
      ],
    ]),
    ts(
      'Restore progress',
      'Share of its changelog each task being restored has read (1 = restored); /readyz says "restoring N %" meanwhile. Retries are changelog reads resumed after a broker restart or a stall',
      [
        [
          'max by (processor, partition) (retail_processor_restore_progress_ratio)',
          '{{processor}} p{{partition}}',
        ],
        [
          'sum by (processor) (increase(retail_processor_restore_retries_total[5m])) or vector(0)',
          'retries/5m {{processor}}',
        ],
      ],
      { unit: 'percentunit' },
    ),
    ts(
      'State size: what a restore would read',
      'Changelog records per task (end − start offset; bounded by the dedup horizon and the open windows) and the dedup tables’ memory (MiB). Growing without bound means the horizon or compaction is not working',
      [
        ['sum by (processor) (retail_processor_changelog_records)', 'changelog records {{processor}}'],
        ['sum by (processor) (retail_processor_state_bytes) / 1048576', 'dedup MiB {{processor}}'],
      ],
    ),
    ts(
      'Changelog bytes written /s',
      'Keys and values written to the changelog topics',
      [['sum by (processor) (rate(retail_processor_changelog_bytes_total[5m]))', '{{processor}}']],
      { unit: 'Bps' },
    ),
  ],
);

const connect = dashboard(
  'retail-connect',
  'Retail ETL — Kafka Connect',
  'The Kafka Connect JDBC sink baseline, when a worker runs (retail-etl connect start): connector and task states, lag of its consumer group.',
  [
    text(
      'How to read this',
      'Kafka Connect runs on demand (`retail-etl connect start`, docs/connect.md); `retail-etl serve` reads its REST API at ' +
        'every scrape and exports `retail_connect_*`. **Connect up** = 0 means no worker answers — the other panels are then empty. ' +
        'A **FAILED** task does not restart by itself: `retail-etl connect status` shows its trace.',
    ),
    stat(
      'Connect up',
      '1 when the Kafka Connect REST API answered the last scrape',
      'max(retail_connect_up)',
      {
        mappings: [
          {
            type: 'value',
            options: { 0: { text: 'not running', color: 'gray' }, 1: { text: 'up', color: 'green' } },
          },
        ],
      },
    ),
    stat(
      'Failed tasks',
      'Tasks in state FAILED, all connectors',
      'sum(retail_connect_tasks{state="FAILED"}) or vector(0)',
      {
        decimals: 0,
        steps: [
          { color: 'green', value: null },
          { color: 'red', value: 1 },
        ],
      },
    ),
    stat(
      'Connector lag (s)',
      'The furthest-behind connector consumer group, in Kafka time',
      'max(retail_connect_consumer_lag_seconds)',
      {
        unit: 's',
      },
    ),
    stat(
      'Connector lag (records)',
      'Records not yet committed by the connectors',
      'sum(retail_connect_consumer_lag_messages)',
      {
        decimals: 0,
      },
    ),
    ts('Connector state', '1 for the state each connector is in', [
      ['max by (connector, state) (retail_connect_connector_state)', '{{connector}} {{state}}'],
    ]),
    ts('Tasks by state', 'RUNNING, FAILED, PAUSED, UNASSIGNED', [
      ['sum by (connector, state) (retail_connect_tasks)', '{{connector}} {{state}}'],
    ]),
    ts('Lag per partition (records)', 'The connector group connect-<name>', [
      ['retail_connect_consumer_lag_messages', '{{connector}} p{{partition}}'],
    ]),
    ts(
      'Lag per partition (seconds)',
      'Kafka time between the committed record and the newest',
      [['retail_connect_consumer_lag_seconds', '{{connector}} p{{partition}}']],
      { unit: 's' },
    ),
  ],
);

export const DASHBOARDS = {
  'overview.json': overview,
  'producer.json': producer,
  'sinks.json': sinks,
  'processors.json': processors,
  'connect.json': connect,
  'servers.json': serversDashboard({ dashboard, ts, stat, text }),
};

/** The file text: JSON formatted as `prettier --check .` (run by `make lint`) expects it. */
export async function render(d, file) {
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(d), { ...config, filepath: file });
}

// `node dashboards/generate.mjs` writes the files; `--check` only says which are out of date (exit 1).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const dir = dirname(fileURLToPath(import.meta.url));
  const stale = [];
  for (const [file, d] of Object.entries(DASHBOARDS)) {
    const path = join(dir, file);
    const text = await render(d, path);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(`dashboards/${file}`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote dashboards/${file} (${d.panels.length} panels)`);
    }
  }
  if (stale.length > 0) {
    console.error(`out of date (run node dashboards/generate.mjs): ${stale.join(', ')}`);
    process.exitCode = 1;
  }
}
