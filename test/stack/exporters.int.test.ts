/**
 * The servers' exporters on the running stack (`make up`): Prometheus has the broker's JMX agent,
 * the Postgres exporter, ClickHouse's /metrics and the supervisor as targets, all up, and each
 * returns its key series. The figures follow what this test does to the real servers: records it
 * produces raise the broker's messages-in counter, a table it fills in ClickHouse shows its parts
 * and rows; the Postgres exporter's login reads statistics but no table data.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../../lib/kafka/index.js';
import { PORTS } from '../../lib/ports.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { MONITOR_ROLE, MONITOR_SECRET } from '../../stack/postgres-roles.js';
import { pollJson, scrape } from '../dashboards/processes.js';
import { clickhouseClient, dropDatabase } from '../helpers/clickhouse.js';
import { stackEnv, uniqueName } from '../helpers/env.js';

interface Targets {
  data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
}
interface QueryAnswer {
  status: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('server exporters scraped by Prometheus', () => {
  const env = stackEnv();
  const prom = env.PROMETHEUS_URL.replace(/\/$/, '');
  const name = uniqueName('exporters');
  const topic = `${name}.t`;
  const database = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const kafka = createKafka('exporters-test');

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(database);
  });

  /** The first sample of `expr` once Prometheus has one. */
  async function value(expr: string): Promise<number> {
    const answer = await pollJson<QueryAnswer>(
      `${prom}/api/v1/query?query=${encodeURIComponent(expr)}`,
      (a) => a.status === 'success' && (a.data?.result.length ?? 0) > 0,
      30_000,
      expr,
    );
    return Number(answer.data?.result[0]?.value[1]);
  }

  it('every exporter target is up', async () => {
    const jobs = ['kafka-broker', 'postgres', 'clickhouse', 'retail-supervisor'];
    await pollJson<Targets>(
      `${prom}/api/v1/targets?state=active`,
      (b) => jobs.every((j) => b.data.activeTargets.some((t) => t.labels.job === j && t.health === 'up')),
      30_000,
      `targets ${jobs.join(', ')} up`,
    );
  });

  it('the broker: one active controller, no offline or under-replicated partitions, latency and traffic', async () => {
    expect(await value('sum(kafka_controller_kafkacontroller_activecontrollercount)')).toBe(1);
    expect(await value('sum(kafka_controller_kafkacontroller_offlinepartitionscount)')).toBe(0);
    expect(await value('sum(kafka_server_replicamanager_underreplicatedpartitions)')).toBe(0);
    expect(await value('sum(kafka_server_replicamanager_partitioncount)')).toBeGreaterThan(0);
    expect(
      await value('max(kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99"})'),
    ).toBeGreaterThanOrEqual(0);
    expect(await value('sum(kafka_server_brokertopicmetrics_bytesin_total)')).toBeGreaterThanOrEqual(0);
  });

  it('records produced raise the broker’s messages-in counter by at least as many', async () => {
    const before = await scrape(PORTS.kafkaMetrics, 'kafka_server_brokertopicmetrics_messagesin_total');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 500 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const after = await scrape(PORTS.kafkaMetrics, 'kafka_server_brokertopicmetrics_messagesin_total');
    expect(after - before).toBeGreaterThanOrEqual(500);
  });

  it('Postgres: up, connections against max_connections, table sizes and WAL', async () => {
    expect(await value('min(pg_up)')).toBe(1);
    expect(await value('max(pg_settings_max_connections)')).toBe(200);
    expect(await value('sum(pg_stat_activity_count)')).toBeGreaterThan(0);
    expect(await value('max(pg_table_total_bytes{table="sales_raw_ids"})')).toBeGreaterThan(0);
    expect(await value('max(pg_wal_position_bytes)')).toBeGreaterThan(0);
    expect(await value('count(pg_locks_count)')).toBeGreaterThan(0);
  });

  it('the exporter’s login (pg_monitor) reads statistics but no table data', async () => {
    const secrets = stackContext(stackPaths(), () => undefined).secrets;
    const c = new pg.Client({
      host: '127.0.0.1',
      port: PORTS.postgres,
      database: 'retail',
      user: MONITOR_ROLE,
      password: secrets[MONITOR_SECRET],
    });
    await c.connect();
    try {
      const stats = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE query IS NOT NULL');
      expect((stats.rows[0] as { n: number }).n).toBeGreaterThan(0);
      const denied = await c.query('SELECT 1 FROM sales_raw LIMIT 1').then(
        () => undefined,
        (err: { code?: string }) => err.code,
      );
      expect(denied).toBe('42501'); // insufficient_privilege
    } finally {
      await c.end();
    }
  });

  it('ClickHouse: its /metrics has the engine’s counters and the parts and rows of a table just filled', async () => {
    const ch = clickhouseClient();
    try {
      await ch.command({ query: `CREATE DATABASE \`${database}\`` });
      await ch.command({
        query: `CREATE TABLE \`${database}\`.t (id UInt32) ENGINE = MergeTree ORDER BY id`,
      });
      await ch.insert({
        table: `\`${database}\`.t`,
        values: Array.from({ length: 123 }, (_, i) => ({ id: i })),
        format: 'JSONEachRow',
      });
      await ch.insert({ table: `\`${database}\`.t`, values: [{ id: 1000 }], format: 'JSONEachRow' });
    } finally {
      await ch.close();
    }
    const labels = { database, table: 't' };
    expect(await scrape(PORTS.clickhouse, 'ClickHouseTable_rows', labels)).toBe(124);
    expect(await scrape(PORTS.clickhouse, 'ClickHouseTable_active_parts', labels)).toBeGreaterThanOrEqual(1);
    expect(await scrape(PORTS.clickhouse, 'ClickHouseTable_bytes_on_disk', labels)).toBeGreaterThan(0);
    expect(await scrape(PORTS.clickhouse, 'ClickHouseProfileEvents_InsertedRows')).toBeGreaterThanOrEqual(
      124,
    );
    expect(await value('sum(ClickHouseMetrics_Query)')).toBeGreaterThanOrEqual(0);
  });

  it('the supervisor: free and total bytes of each data directory’s filesystem', async () => {
    const free = await value('min(retail_stack_data_free_bytes{dir="postgres"})');
    const size = await value('min(retail_stack_data_size_bytes{dir="postgres"})');
    expect(size).toBeGreaterThan(0);
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(size);
  });
});
