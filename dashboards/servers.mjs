/**
 * The servers dashboard (servers.json): the Kafka broker (JMX exporter agent), Postgres
 * (prometheus-postgres-exporter), ClickHouse (its /metrics) and the data directories' disks (the
 * native supervisor). Part of dashboards/generate.mjs, which passes its panel helpers in; in a file
 * of its own so the generator stays readable. Jobs and metric names: docs/observability.md#servers.
 */

const UP_DOWN = [
  {
    type: 'value',
    options: { 0: { text: 'DOWN', color: 'red' }, 1: { text: 'up', color: 'green' } },
  },
];
const ZERO_GREEN = [
  { color: 'green', value: null },
  { color: 'red', value: 1 },
];

export function serversDashboard({ dashboard, ts, stat, text }) {
  return dashboard(
    'retail-servers',
    'Retail ETL — servers (Kafka, Postgres, ClickHouse)',
    'Health of the servers the pipeline runs on: broker traffic, replication and latency; Postgres connections, WAL, locks and table sizes; ClickHouse queries and parts; free disk of the data directories.',
    [
      text(
        'How to read this',
        'Healthy: every server **up**, one **active controller**, **under-replicated** and **offline partitions** at 0, ' +
          'Postgres **connections** well under the limit, **free disk** above 10 %. Alerts and their runbooks: docs/observability.md#servers.',
      ),
      // --- Kafka broker ---------------------------------------------------------------------
      stat('Broker', 'The JMX exporter agent inside the broker answers', 'max(up{job="kafka-broker"})', {
        mappings: UP_DOWN,
      }),
      stat(
        'Active controller',
        'Brokers acting as the KRaft controller: exactly 1 when healthy',
        'sum(kafka_controller_kafkacontroller_activecontrollercount)',
        {
          decimals: 0,
          steps: [
            { color: 'red', value: null },
            { color: 'green', value: 1 },
            { color: 'red', value: 2 },
          ],
        },
      ),
      stat(
        'Under-replicated partitions',
        'Partitions with fewer in-sync replicas than replicas',
        'sum(kafka_server_replicamanager_underreplicatedpartitions)',
        { decimals: 0, steps: ZERO_GREEN },
      ),
      stat(
        'Offline partitions',
        'Partitions without a leader: nothing can be written to or read from them',
        'sum(kafka_controller_kafkacontroller_offlinepartitionscount)',
        { decimals: 0, steps: ZERO_GREEN },
      ),
      ts(
        'Broker bytes in / out',
        'All topics, per second',
        [
          ['sum(rate(kafka_server_brokertopicmetrics_bytesin_total[1m]))', 'in'],
          ['sum(rate(kafka_server_brokertopicmetrics_bytesout_total[1m]))', 'out'],
        ],
        { unit: 'Bps' },
      ),
      ts('Broker messages in /s', 'Records appended, all topics', [
        ['sum(rate(kafka_server_brokertopicmetrics_messagesin_total[1m]))', 'messages in'],
      ]),
      ts(
        'Request latency p99',
        'Total time of a request in the broker (queue, local, remote, send): its own 99th percentile',
        [
          [
            'max by (request) (kafka_network_requestmetrics_totaltimems{quantile="0.99",request=~"Produce|FetchConsumer|FetchFollower|OffsetCommit"})',
            '{{request}}',
          ],
        ],
        { unit: 'ms' },
      ),
      ts('Partitions and leaders', 'On this broker', [
        ['sum(kafka_server_replicamanager_partitioncount)', 'partitions'],
        ['sum(kafka_server_replicamanager_leadercount)', 'leaders'],
      ]),
      // --- Postgres -------------------------------------------------------------------------
      stat('Postgres', 'The exporter logged in and ran its queries (pg_up)', 'min(pg_up)', {
        mappings: UP_DOWN,
      }),
      stat(
        'Connections used',
        'Backends of every state over max_connections',
        'sum(pg_stat_activity_count) / max(pg_settings_max_connections)',
        {
          unit: 'percentunit',
          decimals: 0,
          steps: [
            { color: 'green', value: null },
            { color: 'orange', value: 0.7 },
            { color: 'red', value: 0.85 },
          ],
        },
      ),
      stat('Database size', 'The retail database on disk', 'max(pg_database_size_bytes{datname="retail"})', {
        unit: 'bytes',
      }),
      stat(
        'Deadlocks (1h)',
        'Deadlocks detected in the retail database in the last hour',
        'sum(increase(pg_stat_database_deadlocks{datname="retail"}[1h]))',
        { decimals: 0, steps: ZERO_GREEN },
      ),
      ts('Connections by state', 'All databases; the limit is max_connections', [
        ['sum by (state) (pg_stat_activity_count)', '{{state}}'],
        ['max(pg_settings_max_connections)', 'max_connections'],
      ]),
      ts('Transactions /s', 'Commits and rollbacks in the retail database', [
        ['sum(rate(pg_stat_database_xact_commit{datname="retail"}[1m]))', 'commit'],
        ['sum(rate(pg_stat_database_xact_rollback{datname="retail"}[1m]))', 'rollback'],
      ]),
      ts('WAL written', 'Bytes of write-ahead log per second', [['rate(pg_wal_position_bytes[1m])', 'WAL']], {
        unit: 'Bps',
      }),
      ts('Locks by mode', 'Locks held or awaited in the retail database', [
        ['sum by (mode) (pg_locks_count{datname="retail"})', '{{mode}}'],
      ]),
      ts(
        'Largest tables',
        'Size on disk with indexes and TOAST (the 10 largest)',
        [['topk(10, pg_table_total_bytes)', '{{schema}}.{{table}}']],
        { unit: 'bytes', w: 24 },
      ),
      // --- ClickHouse -----------------------------------------------------------------------
      stat('ClickHouse', 'Its /metrics answers', 'max(up{job="clickhouse"})', { mappings: UP_DOWN }),
      stat(
        'Running queries',
        'Queries executing now (the native server runs one at a time)',
        'sum(ClickHouseMetrics_Query)',
        { decimals: 0 },
      ),
      stat(
        'Active parts',
        'Data parts of every table (too many parts slow inserts down)',
        'sum(ClickHouseTable_active_parts)',
        { decimals: 0 },
      ),
      stat('Bytes on disk', 'Active parts of every table', 'sum(ClickHouseTable_bytes_on_disk)', {
        unit: 'bytes',
      }),
      ts('ClickHouse queries and inserts', 'Per second (0 until the first one)', [
        ['sum(rate(ClickHouseProfileEvents_Query[1m])) or vector(0)', 'queries'],
        ['sum(rate(ClickHouseProfileEvents_InsertQuery[1m])) or vector(0)', 'insert queries'],
        ['sum(rate(ClickHouseProfileEvents_InsertedRows[1m])) or vector(0)', 'rows inserted'],
      ]),
      ts('Parts per table', 'Active parts (the 10 tables with most)', [
        ['topk(10, ClickHouseTable_active_parts)', '{{database}}.{{table}}'],
      ]),
      ts(
        'Bytes on disk per table',
        'The 10 largest tables on disk',
        [['topk(10, ClickHouseTable_bytes_on_disk)', '{{database}}.{{table}}']],
        { unit: 'bytes', w: 24 },
      ),
      // --- Disk -----------------------------------------------------------------------------
      ts(
        'Free disk of the data directories',
        'Free share of the filesystem under each server’s data directory (native stack: exported by the supervisor)',
        [['min by (dir) (retail_stack_data_free_bytes / retail_stack_data_size_bytes)', '{{dir}}']],
        { unit: 'percentunit', w: 24 },
      ),
    ],
  );
}
