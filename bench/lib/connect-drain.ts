/**
 * Benchmark (c), the Kafka Connect half: how fast the Debezium JDBC sink drains a topic that is
 * already full of sale events into a table shaped like sales_raw. Reusable: the end-to-end
 * benchmark fills one topic, then calls `drainWithConnect` and our sink's drain on it.
 *
 * The rate is measured inside Postgres, from the first row to the last: `ingested_at` defaults to
 * now(), the start of the transaction that wrote the row, so rows / (last − first transaction
 * start) — counting the rows of every transaction but the last, which ran after the window —
 * is the sink's steady drain rate, free of the worker's JVM and task start-up and of polling
 * granularity. The time from `apply` to the last row is reported too.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Kafka } from '../../lib/kafka/index.js';
import { createKafka, ensureTopics } from '../../lib/kafka/index.js';
import { applyConnector } from '../../lib/connect/apply.js';
import { resolveConnectOptions } from '../../lib/connect/connector.js';
import { ConnectClient, failureOf } from '../../lib/connect/rest.js';
import { EtlError } from '../../lib/errors.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { SaleGenerator } from '../../producer/generator.js';
import {
  connectUrl,
  connectDirs,
  startConnectWorker,
  stopConnectWorker,
} from '../../stack/components/kafka-connect.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { pidFileFor, readPid } from '../../stack/process.js';
import { cpuSnapshot } from './proc-cpu.js';

export interface FillResult {
  topic: string;
  events: number;
  quantity: number;
  valueCents: number;
  seconds: number;
}

/**
 * Create `topic` and fill it with `n` distinct generated sale events (no intentional duplicates,
 * so the expected row count is exactly `n`), keyed by store like the real producer.
 */
export async function fillSalesTopic(
  topic: string,
  n: number,
  options: { partitions?: number; seed?: number; kafka?: Kafka } = {},
): Promise<FillResult> {
  const kafka = options.kafka ?? createKafka('bench-fill');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic, numPartitions: options.partitions ?? 6 }]);
  } finally {
    await admin.disconnect();
  }
  const serde = new SaleEventSerde(createRegistry());
  await serde.register();
  const generator = new SaleGenerator({ seed: options.seed ?? 7, duplicateShare: 0 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = Date.now();
  let quantity = 0;
  let valueCents = 0;
  try {
    const chunk = 10_000;
    for (let sent = 0; sent < n; sent += chunk) {
      const messages = [];
      for (let i = 0; i < Math.min(chunk, n - sent); i++) {
        const { event } = generator.next();
        quantity += event.quantity;
        valueCents += event.quantity * event.unit_price_cents;
        messages.push({ key: event.store_id, value: serde.encode(event) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return { topic, events: n, quantity, valueCents, seconds: (Date.now() - started) / 1000 };
}

export interface DrainOptions {
  /** DATABASE_URL and SCHEMA_REGISTRY_URL of the running stack. */
  env: Record<string, string | undefined>;
  topic: string;
  /** Rows to wait for (the events in the topic). */
  expected: number;
  tasks?: number;
  batchSize?: number;
  /** Give up after this long (the rate so far is still reported). */
  timeoutMs?: number;
  /** Keep the table afterwards (default: dropped). */
  keepTable?: boolean;
  log?: (message: string) => void;
}

export interface DrainResult {
  table: string;
  tasks: number;
  batchSize: number;
  rows: number;
  complete: boolean;
  /** Rows per second from the first transaction to the last (the steady drain rate). */
  eventsPerSecond: number;
  /** Seconds from `apply` to the last row (includes task start-up). */
  applyToLastRowSeconds: number;
  /** Σ quantity and Σ quantity × unit_price_cents in the table, to check against the fill. */
  quantity: number;
  valueCents: number;
  /** CPU-seconds the worker JVM used from `apply` to the last row (NaN when its PID is unknown). */
  workerCpuSeconds: number;
}

interface TableStats {
  rows: number;
  first: number;
  last: number;
  lastTxnRows: number;
  quantity: number;
  valueCents: number;
}

async function tableStats(db: pg.Client, table: string): Promise<TableStats> {
  const r = await db.query<Record<string, string | null>>(
    `SELECT count(*) rows,
            extract(epoch FROM min(ingested_at)) first_s,
            extract(epoch FROM max(ingested_at)) last_s,
            count(*) FILTER (WHERE ingested_at = (SELECT max(ingested_at) FROM ${table})) last_txn_rows,
            coalesce(sum(quantity), 0) quantity,
            coalesce(sum(quantity::numeric * unit_price_cents), 0) value_cents
       FROM ${table}`,
  );
  const row = r.rows[0] ?? {};
  return {
    rows: Number(row['rows']),
    first: Number(row['first_s'] ?? 0),
    last: Number(row['last_s'] ?? 0),
    lastTxnRows: Number(row['last_txn_rows'] ?? 0),
    quantity: Number(row['quantity']),
    valueCents: Number(row['value_cents']),
  };
}

async function rowCount(db: pg.Client, table: string): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*) n FROM ${table}`);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Drain `topic` with a fresh Debezium JDBC sink connector into a fresh table; starts the native
 * worker if none runs (and stops it again), removes the connector afterwards.
 */
export async function drainWithConnect(options: DrainOptions): Promise<DrainResult> {
  const log = options.log ?? (() => undefined);
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const table = `bench_connect_${suffix}`;
  const connectOptions = resolveConnectOptions({
    name: `bench-jdbc-sink-${suffix}`,
    topic: options.topic,
    table,
    tasks: options.tasks ?? 1,
    batchSize: options.batchSize ?? 2000,
    dlqTopic: `bench.connect-dlq.${suffix}`,
    connectUrl: connectUrl(stackContext(stackPaths(), log)),
  });
  const paths = stackPaths();
  const ctx = stackContext(paths, log);
  const startedHere = await startConnectWorker(ctx);
  const client = new ConnectClient(connectOptions.connectUrl);
  const databaseUrl = options.env['DATABASE_URL'];
  const db = new pg.Client({ connectionString: databaseUrl });
  const kafka = createKafka('bench-connect');
  const workerPid = readPid(pidFileFor(paths.run, 'kafka-connect'));
  const workerCpu = () =>
    workerPid === undefined ? NaN : (cpuSnapshot(new Map([['worker', workerPid]])).get('worker') ?? NaN);
  try {
    const cpu0 = workerCpu();
    const applied = Date.now();
    await applyConnector({
      options: connectOptions,
      databaseUrl,
      connectDatabaseUrl: options.env['CONNECT_DATABASE_URL'],
      schemaRegistryUrl: options.env['SCHEMA_REGISTRY_URL'],
      root: paths.root,
      secretsFile: connectDirs(ctx).secrets,
    });
    log(
      `connect: ${connectOptions.name} draining ${options.topic} (${options.expected} events) into ${table} with ${connectOptions.tasks} task(s), batch ${connectOptions.batchSize}`,
    );
    await db.connect();
    const deadline = applied + (options.timeoutMs ?? 600_000);
    let rows = 0;
    let lastRowAt = applied;
    let lastLog = Date.now();
    let cpuAtLastRow = cpu0;
    while (rows < options.expected && Date.now() < deadline) {
      await sleep(250);
      const n = await rowCount(db, table);
      if (n > rows) {
        lastRowAt = Date.now();
        cpuAtLastRow = workerCpu();
      }
      rows = n;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`connect: ${rows}/${options.expected} rows`);
        const failure = failureOf(await client.status(connectOptions.name));
        if (failure) throw new EtlError('KAFKA_CONNECT_ERROR', `the JDBC sink failed: ${failure}`);
      }
    }
    const stats = await tableStats(db, table);
    const window = stats.last - stats.first;
    return {
      table,
      tasks: connectOptions.tasks,
      batchSize: connectOptions.batchSize,
      rows: stats.rows,
      complete: stats.rows >= options.expected,
      eventsPerSecond: window > 0 ? (stats.rows - stats.lastTxnRows) / window : NaN,
      applyToLastRowSeconds: (lastRowAt - applied) / 1000,
      quantity: stats.quantity,
      valueCents: stats.valueCents,
      workerCpuSeconds: cpuAtLastRow - cpu0,
    };
  } finally {
    await client.remove(connectOptions.name).catch(() => undefined);
    if (!options.keepTable) await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db.end().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [connectOptions.dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
    if (startedHere) await stopConnectWorker(ctx);
  }
}
