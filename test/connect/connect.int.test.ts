/**
 * The Kafka Connect baseline end to end on the shared stack: the native worker, real Avro sale
 * events (Confluent framing, ids from the registry's ccompat API) plus one poison record on a
 * fresh topic, `retail-etl connect apply` into a fresh table, then exact count and sums, the
 * event times, the poison record in the connector's dead-letter topic, RUNNING in
 * `connect status` — and the database password nowhere in the connector config or the output.
 * The worker is the stack's: its REST API answers 401 without the generated credentials, and the
 * connector logs in as its own role (CONNECT_DATABASE_URL) when `make up` wrote one.
 */
import { statSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { ApiContext } from '../../api/router.js';
import { connectMetricsModule } from '../../api/routes/control-panel-connect.js';
import { ConnectClient, isRunning } from '../../lib/connect/rest.js';
import { createLogger } from '../../lib/logger.js';
import { jdbcTarget } from '../../lib/connect/connector.js';
import { createKafka } from '../../lib/kafka/index.js';
import {
  connectAuthHeader,
  connectDirs,
  CONNECT_URL,
  connectUrl,
  startConnectWorker,
  stopConnectWorker,
} from '../../stack/components/kafka-connect.js';
import { runCli } from '../../stack/cli-process.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { dashboardExpressions, selectedSeries } from '../dashboards/expressions.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../bench/lib/sale-events.js';

const env = stackEnv();
const N = 5000;
const topic = uniqueName('connect_in');
const dlqTopic = uniqueName('connect_dlq');
const table = uniqueName('sales_raw_connect');
const name = uniqueName('jdbc_sink');
const ctx = stackContext(stackPaths(), (m) => process.stderr.write(`[connect] ${m}\n`));
const client = new ConnectClient(connectUrl(ctx));
let startedHere = false;

async function cli(...args: string[]) {
  const res = await runCli(args, { ...env, KAFKA_CONNECT_URL: connectUrl(ctx) });
  return { code: res.code, out: res.stdout, err: res.stderr };
}

async function sums(): Promise<{
  n: number;
  q: number;
  v: number;
  minT: number;
  maxT: number;
  offsets: number;
}> {
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  try {
    const r = await db.query<Record<string, string | null>>(
      `SELECT count(*) n, coalesce(sum(quantity), 0) q, coalesce(sum(quantity::numeric * unit_price_cents), 0) v,
              (extract(epoch FROM min(event_time)) * 1000)::bigint min_t,
              (extract(epoch FROM max(event_time)) * 1000)::bigint max_t,
              count(DISTINCT (kafka_partition, kafka_offset)) offsets
         FROM ${table}`,
    );
    const row = r.rows[0] ?? {};
    return {
      n: Number(row['n']),
      q: Number(row['q']),
      v: Number(row['v']),
      minT: Number(row['min_t']),
      maxT: Number(row['max_t']),
      offsets: Number(row['offsets']),
    };
  } finally {
    await db.end();
  }
}

async function dlqCount(): Promise<number> {
  const admin = createKafka('connect-test').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(dlqTopic);
    return offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0; // not created yet
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka Connect + Debezium JDBC sink (the comparison baseline)', () => {
  const events = makeEvents(N, { stores: 12 });
  const expected = totals(events);

  beforeAll(async () => {
    startedHere = await startConnectWorker(ctx);
    await createTopic(topic, 3);
    // One record that is not Confluent Avro: the connector's converter rejects it into its DLQ.
    await produce(topic, events, [{ key: 'S000', value: Buffer.from('not avro at all') }]);
  });

  afterAll(async () => {
    await client.remove(name).catch(() => undefined);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.end();
    await deleteTopics([topic, dlqTopic]);
    if (startedHere) await stopConnectWorker(ctx);
  });

  const applyArgs = () => [
    'connect',
    'apply',
    '--name',
    name,
    '--topic',
    topic,
    '--table',
    table,
    '--dlq-topic',
    dlqTopic,
  ];

  it('answers 401 without the REST credentials, or with a wrong password', async () => {
    const wrong = { authorization: `Basic ${Buffer.from('connect:wrong').toString('base64')}` };
    for (const headers of [{}, wrong] as Record<string, string>[]) {
      const res = await fetch(`${CONNECT_URL}/connectors`, { headers });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    const ok = await fetch(`${CONNECT_URL}/connectors`, { headers: connectAuthHeader(ctx) });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it('drains the topic into its own table: exact count, sums and event times', async () => {
    const apply = await cli(...applyArgs(), '--tasks', '2', '--batch-size', '1000');
    expect(apply.err).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.out).toContain(`connector ${name} created`);

    let got = await sums();
    await waitUntil(async () => (got = await sums()).n >= N, { timeoutMs: 90_000, intervalMs: 500 });
    expect(got.n).toBe(expected.count);
    expect(got.q).toBe(expected.quantity);
    expect(got.v).toBe(expected.value);
    // event_time (epoch ms in Avro) arrives as the same instant in timestamptz.
    expect(got.minT).toBe(Math.min(...events.map((e) => e.event_time)));
    expect(got.maxT).toBe(Math.max(...events.map((e) => e.event_time)));
    // Every row carries its own Kafka position (InsertField), as our sink's rows do.
    expect(got.offsets).toBe(N);

    let dead = 0;
    await waitUntil(async () => (dead = await dlqCount()) >= 1, { timeoutMs: 90_000, intervalMs: 500 });
    expect(dead).toBe(1);
  });

  it('reports RUNNING in `connect status`', async () => {
    expect(isRunning(await client.status(name))).toBe(true);
    const status = await cli('connect', 'status', '--name', name);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`${name}: connector RUNNING`);
    expect(status.out).toMatch(/task 0: RUNNING/);
    expect(status.out).toMatch(/task 1: RUNNING/);
  });

  it('every series the Kafka Connect dashboard selects is exported by serve’s Connect exporter', async () => {
    // Where a worker and a connector run: the dashboard test (test/dashboards) checks these panels'
    // PromQL and metric names but has no worker. A failed-tasks count is there at 0, not missing.
    const registry = new Registry();
    const context = { registry, logger: createLogger('test-connect-metrics') };
    const instance = await connectMetricsModule({ url: connectUrl(ctx) }).create(context as ApiContext);
    const wanted = dashboardExpressions()
      .filter((e) => e.dashboard === 'connect.json')
      .flatMap((e) => selectedSeries(e.expr).map((s) => ({ ...s, panel: e.panel })));
    expect(wanted.length).toBeGreaterThan(6);
    let missing: string[] = [];
    try {
      // The lag series appear once the exporter has followed the connector's group (first scrape).
      await waitUntil(
        async () => {
          const text = await registry.metrics();
          missing = wanted
            .filter(({ name: metric, labels }) => {
              const want = metric === 'retail_connect_up' ? {} : { ...labels, connector: name };
              return !text
                .split('\n')
                .some(
                  (line) =>
                    (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) &&
                    Object.entries(want).every(([k, v]) => line.includes(`${k}="${v}"`)),
                );
            })
            .map((w) => `${w.name} ${JSON.stringify(w.labels)} (${w.panel})`);
          return missing.length === 0;
        },
        { timeoutMs: 30_000, intervalMs: 1000 },
      );
      expect(missing).toEqual([]);
      const text = await registry.metrics();
      expect(text).toContain('retail_connect_up 1');
      expect(text).toContain(`retail_connect_tasks{connector="${name}",state="FAILED"} 0`);
      expect(text).toContain(`retail_connect_tasks{connector="${name}",state="RUNNING"} 2`);
    } finally {
      await instance.close?.();
    }
  });

  it('applying again updates in place, and the password is never in the config or the output', async () => {
    const again = await cli(...applyArgs());
    expect(again.code).toBe(0);
    expect(again.out).toContain(`connector ${name} updated`);

    const res = await fetch(`${CONNECT_URL}/connectors/${name}/config`, { headers: connectAuthHeader(ctx) });
    const config = await res.text();
    expect(config).toContain('${file:');
    for (const url of [env.DATABASE_URL, process.env['CONNECT_DATABASE_URL']]) {
      if (!url) continue;
      const { password } = jdbcTarget(url);
      expect(password.length).toBeGreaterThan(0);
      expect(config).not.toContain(password);
      expect(again.out + again.err).not.toContain(password);
    }
    // The connector's own login when the stack made one, not the owner.
    const expectedUser = process.env['CONNECT_DATABASE_URL'] ? 'retail_connect' : 'retail';
    expect((JSON.parse(config) as Record<string, string>)['connection.username']).toBe(expectedUser);
    expect(statSync(connectDirs(ctx).secrets).mode & 0o777).toBe(0o600);
  });

  it('`connect status` names a missing connector in one line and exits 1', async () => {
    const res = await cli('connect', 'status', '--name', uniqueName('nope'));
    expect(res.code).toBe(1);
    expect(res.err.trim().split('\n')).toHaveLength(1);
    expect(res.err).toMatch(/^error: INVALID_ARGUMENT: no connector named/);
  });
});
