/**
 * The pipeline's own long-running processes, started by `make up` after the servers are healthy.
 * Each is `retail-etl <args>` and answers /healthz and /readyz on its metrics port. A later feature adds its
 * process here and `make up` starts it.
 * Each gets only the stack variables it uses (`stackEnv`): no process sees a URL or credential of
 * another — the sinks get their own Postgres login as DATABASE_URL (and their own ClickHouse user as
 * CLICKHOUSE_URL), the query API the readers', none the owner's or the superuser's.
 */
import { join } from 'node:path';
import { HOST, PORTS } from '../lib/ports.js';
import type { LaunchSpec, NativeComponent } from './component.js';
import { httpOk, httpReadiness } from './net.js';

export interface PipelineService {
  name: string;
  title: string;
  args: string[];
  port: number;
  /** The environment variable that moves `port` (a benchmark runs a second pipeline beside `make up`'s). */
  portEnv: string;
  /** Started only when this returns true for the stack's environment (e.g. CLICKHOUSE_URL set). */
  enabled?: (env: NodeJS.ProcessEnv) => boolean;
  /** What it gets of the stack's environment: its variable → the `.stack/env` key it is copied from. */
  stackEnv: Record<string, string>;
}

/** Enabled when the stack's environment (`.stack/env`, not a setting of the process) holds `key`. */
const stackHas = (key: string) => (env: NodeJS.ProcessEnv) => Boolean(env[key]);

const KAFKA = { KAFKA_BROKERS: 'KAFKA_BROKERS', SCHEMA_REGISTRY_URL: 'SCHEMA_REGISTRY_URL' };
/** The CA of the native Postgres's certificate, for a process run with PGSSLMODE=verify-full. */
const PG_CA = { PGSSLROOTCERT: 'PGSSLROOTCERT' };

export const PIPELINE_SERVICES: PipelineService[] = [
  {
    name: 'sink-postgres',
    title: 'sink: Kafka → Postgres sales_raw (COPY, exactly once)',
    args: ['sink', 'postgres'],
    port: PORTS.sinkPostgresMetrics,
    portEnv: 'SINK_POSTGRES_METRICS_PORT',
    stackEnv: { ...KAFKA, ...PG_CA, DATABASE_URL: 'SINK_POSTGRES_DATABASE_URL' },
  },
  {
    name: 'sink-clickhouse',
    title: 'sink: Kafka → ClickHouse sales_raw (dedup tokens)',
    args: ['sink', 'clickhouse'],
    port: PORTS.sinkClickhouseMetrics,
    portEnv: 'SINK_CLICKHOUSE_METRICS_PORT',
    stackEnv: { ...KAFKA, CLICKHOUSE_URL: 'CLICKHOUSE_SINK_URL' },
    enabled: stackHas('CLICKHOUSE_SINK_URL'),
  },
  {
    name: 'processors',
    title: 'processors: hourly, top SKUs, store rolling hour (event time, exactly once)',
    args: ['processor', 'all'],
    port: PORTS.processorMetrics,
    portEnv: 'PROCESSOR_METRICS_PORT',
    stackEnv: KAFKA,
  },
  {
    name: 'producer',
    title: 'producer: synthetic sales, 100 events/s (change: retail-etl producer rate N)',
    args: ['producer', 'run', '--rate', '100'],
    port: PORTS.producerMetrics,
    portEnv: 'PRODUCER_METRICS_PORT',
    stackEnv: KAFKA,
  },
  {
    name: 'serve',
    title: 'HTTP API: POST /v1/events ingest, health, metrics',
    args: ['serve'],
    port: PORTS.pipelineHttp,
    portEnv: 'PIPELINE_HTTP_PORT',
    stackEnv: {
      ...KAFKA,
      ...PG_CA,
      QUERY_DATABASE_URL: 'QUERY_DATABASE_URL',
      QUERY_CLICKHOUSE_URL: 'QUERY_CLICKHOUSE_URL',
      PROMETHEUS_URL: 'PROMETHEUS_URL',
      KAFKA_CONNECT_URL: 'KAFKA_CONNECT_URL',
      // The API tokens: only the HTTP server checks them.
      RETAIL_TOKEN_INGEST: 'RETAIL_TOKEN_INGEST',
      RETAIL_TOKEN_READ: 'RETAIL_TOKEN_READ',
      RETAIL_TOKEN_CONTROL: 'RETAIL_TOKEN_CONTROL',
    },
  },
  {
    name: 'sink-aggregates',
    title: 'sink: aggregate topics → Postgres sales_hourly, top_skus, store_rolling_1h (exactly once)',
    args: ['sink', 'aggregates'],
    port: PORTS.sinkAggregatesMetrics,
    portEnv: 'SINK_AGGREGATES_METRICS_PORT',
    stackEnv: { ...KAFKA, ...PG_CA, DATABASE_URL: 'SINK_AGGREGATES_DATABASE_URL' },
  },
  {
    name: 'sink-aggregates-clickhouse',
    title: 'sink: aggregate topics → ClickHouse ReplacingMergeTree tables (dedup tokens)',
    args: ['sink', 'aggregates', '--target', 'clickhouse'],
    port: PORTS.sinkAggregatesClickhouseMetrics,
    portEnv: 'SINK_AGGREGATES_METRICS_PORT',
    stackEnv: { ...KAFKA, CLICKHOUSE_URL: 'CLICKHOUSE_AGG_SINK_URL' },
    enabled: stackHas('CLICKHOUSE_AGG_SINK_URL'),
  },
];

/** The services `make up` starts for this environment (optional ones only when enabled). */
export function enabledPipelineServices(env: NodeJS.ProcessEnv): PipelineService[] {
  return PIPELINE_SERVICES.filter((s) => s.enabled?.(env) ?? true);
}

/**
 * Variables no pipeline process inherits from the shell that runs `make up` (a shell that sourced
 * `.stack/env` holds them all); a process gets one only through its `stackEnv`.
 */
export const STACK_CREDENTIAL_VARS = [
  'DATABASE_URL',
  'DATABASE_ADMIN_URL',
  'SINK_POSTGRES_DATABASE_URL',
  'SINK_AGGREGATES_DATABASE_URL',
  'QUERY_DATABASE_URL',
  'CONNECT_DATABASE_URL',
  'CLICKHOUSE_URL',
  'CLICKHOUSE_SINK_URL',
  'CLICKHOUSE_AGG_SINK_URL',
  'QUERY_CLICKHOUSE_URL',
  'KAFKA_CONNECT_URL',
  'RETAIL_TOKEN_INGEST',
  'RETAIL_TOKEN_READ',
  'RETAIL_TOKEN_CONTROL',
] as const;

/** The environment of `service`: ours without any stack variable, then its own, then `overrides`. */
export function serviceEnv(
  service: PipelineService,
  stackEnv: Record<string, string>,
  overrides: Record<string, string> = {},
  inherited: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...inherited };
  for (const key of [...STACK_CREDENTIAL_VARS, ...Object.keys(stackEnv)]) delete env[key];
  for (const [name, from] of Object.entries(service.stackEnv)) {
    const value = stackEnv[from];
    if (value !== undefined) env[name] = value;
  }
  // The stack's Postgres tables are migrated by `make up`: a sink never runs DDL (its role could not).
  if ('DATABASE_URL' in service.stackEnv) {
    env['SINK_POSTGRES_MIGRATE'] = 'false';
    env['SINK_AGGREGATES_MIGRATE'] = 'false';
  }
  // The same for ClickHouse: `make up` creates the tables as the owner; the sinks' users hold no CREATE.
  if ('CLICKHOUSE_URL' in service.stackEnv) {
    env['SINK_CLICKHOUSE_CREATE_TABLE'] = 'false';
    env['SINK_AGGREGATES_MIGRATE'] = 'false';
  }
  return { ...env, ...overrides };
}

/**
 * How a service is started: the built CLI under this Node, with its own part of the stack's
 * environment (serviceEnv) and then `overrides` (ports, topics, groups of a second pipeline).
 */
export function pipelineLaunch(
  service: PipelineService,
  root: string,
  stackEnv: Record<string, string>,
  overrides: Record<string, string> = {},
): LaunchSpec {
  return {
    command: process.execPath,
    args: [join(root, 'dist', 'cli', 'main.js'), ...service.args],
    env: serviceEnv(service, stackEnv, overrides),
  };
}

/**
 * The port a service listens on: its `portEnv` variable when set (the process reads the same
 * variable, so the health checks follow it), else its default.
 */
export function servicePort(service: PipelineService, env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[service.portEnv]);
  return Number.isInteger(value) && value > 0 ? value : service.port;
}

export function pipelineComponent(
  service: PipelineService,
  stackEnv: Record<string, string>,
): NativeComponent {
  const port = servicePort(service);
  return {
    name: service.name,
    title: service.title,
    ports: [port],
    stopSignal: 'SIGTERM',
    startTimeoutMs: 60_000,
    url: `http://${HOST}:${port}/metrics`,
    provision: async () => undefined,
    prepare: async () => undefined,
    launch: (ctx) => pipelineLaunch(service, ctx.paths.root, stackEnv),
    // Ready, not just alive: connected to Kafka and to its target (what `make status` should say).
    healthy: () => httpOk(`http://${HOST}:${port}/readyz`),
    progress: async () => {
      const r = await httpReadiness(`http://${HOST}:${port}/readyz`);
      return r.ready ? undefined : r.progress;
    },
    env: () => ({}),
  };
}
