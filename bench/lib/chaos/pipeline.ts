/**
 * The chaos soak's own pipeline: every service `make up` runs (stack/pipeline.ts, same launch
 * code) on fresh topics, groups, Postgres schema and free ports — so what it wrote can be
 * reconciled exactly, and the shared stack's data is never touched — started detached (PID files
 * and logs in a directory of its own) and kept running by the same supervisor engine `make up`
 * uses (stack/supervisor.ts), so killing any of them with -9 heals the way the stack heals.
 * The ClickHouse sinks (raw and aggregates) run too when the stack runs ClickHouse, on a database
 * of the same name, created by the owner as `make up` creates the stack's.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withPgClient } from '../../../lib/postgres/connection.js';
import type { Admin, Kafka, Producer } from '../../../lib/kafka/index.js';
import { createKafka, removePrefixed } from '../../../lib/kafka/index.js';
import { producerSteering } from '../producer-steering.js';
import type { StackContext } from '../../../stack/component.js';
import { INFRA } from '../../../stack/native.js';
import { freePort, httpOk, httpReadiness } from '../../../stack/net.js';
import { enabledPipelineServices, pipelineLaunch } from '../../../stack/pipeline.js';
import { migrateAll } from '../../../sinks/postgres/migrate-all.js';
import { createClickhouseClient } from '../../../sinks/clickhouse/client.js';
import { quoteIdent } from '../../../sinks/clickhouse/ident.js';
import { migrateClickhouse } from '../../../sinks/clickhouse/migrate-all.js';
import { environment } from '../../../lib/config/index.js';

import { projectRoot } from '../../../stack/paths.js';
import { isAlive, readPid, startDetached, stopPid } from '../../../stack/process.js';
import type { ProcessStatus, SupervisedProcess, SupervisorOptions } from '../../../stack/supervisor.js';
import { Supervisor } from '../../../stack/supervisor.js';
import type { PipelineTopics } from '../bench-pipeline.js';
import { createPipelineTopics, pipelineNames, pipelineOverrides } from '../bench-pipeline.js';
import { scrape } from '../prom-text.js';
import { mirrorSchemaOf } from './clickhouse-mirror.js';

/** Kills are deliberate here: a process killed twice within a minute is not a crash loop. */
const CHAOS_SUPERVISION: SupervisorOptions = {
  backoffInitialMs: 500,
  backoffMaxMs: 10_000,
  crashLoopAfter: 1000,
  unhealthyAfterMs: 30_000,
  stableAfterMs: 60_000,
  intervalMs: 500,
};

export interface ChaosPipeline {
  base: string;
  schema: string;
  topics: PipelineTopics;
  dir: string;
  ports: Map<string, number>;
  services: string[];
  /** ClickHouse database of its ClickHouse sinks (both write there); undefined when they do not run. */
  clickhouseDatabase: string | undefined;
  kafka: Kafka;
  admin: Admin;
  /** The supervisor's view of each service. */
  status(): ProcessStatus[];
  pid(service: string): number | undefined;
  setRate(rate: number): Promise<void>;
  pause(): Promise<void>;
  metrics(service: string): Promise<string>;
  /** Records in the raw topic (sum of end offsets). */
  produced(): Promise<number>;
  /** Stop supervising, stop the processes; `remove` also deletes topics, groups and schema. */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

export interface ChaosPipelineHooks {
  /**
   * Runs once its topics and schema exist, before any of its processes starts: records written
   * here come first in the raw topic (`make demo` writes a store's past hours, so the anomalies
   * operator has a history when the processors start). The pipeline is removed if it throws.
   */
  beforeStart?: (p: { base: string; kafka: Kafka; topics: PipelineTopics }) => Promise<void>;
}

export async function startChaosPipeline(
  ctx: StackContext,
  stackEnv: Record<string, string>,
  log: (m: string) => void,
  /**
   * Ports: free ones (undefined), consecutive from a base, or `'stack'` — each service's own port,
   * the one the stack's Prometheus scrapes (a lab that reads its pipeline in Prometheus).
   */
  portBase?: number | 'stack',
  /** Name prefix of its topics, groups, schema and directory (`make demo` runs one as `demo`). */
  prefix = 'chaos',
  hooks: ChaosPipelineHooks = {},
): Promise<ChaosPipeline> {
  const { base, schema, topics } = pipelineNames(prefix);
  const dir = join('/tmp', base);
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const kafka = createKafka(prefix);
  const admin = kafka.admin();
  await admin.connect();
  const control: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await control.connect();
  await createPipelineTopics(admin, base, topics);
  const common = pipelineOverrides(base, schema, topics);
  // As `make up` does for the stack's schema: the migrator creates the tables, the sinks only write.
  await withPgClient(stackEnv['DATABASE_URL'] ?? '', (migrator) =>
    migrateAll(migrator, { ...environment(), ...stackEnv, ...common }, schema),
  );
  const services = enabledPipelineServices({ ...environment(), ...stackEnv });
  // The same in ClickHouse, as its owner: the ClickHouse sinks' users cannot create tables.
  const chOwner = stackEnv['CLICKHOUSE_URL'];
  const clickhouseDatabase =
    chOwner && services.some((s) => s.name.includes('clickhouse')) ? schema : undefined;
  const dropClickhouse = async () => {
    if (!chOwner || clickhouseDatabase === undefined) return;
    const ch = await createClickhouseClient({ url: chOwner });
    await ch
      .command({ query: `DROP DATABASE IF EXISTS ${quoteIdent(clickhouseDatabase)}` })
      .catch(() => undefined);
    await ch.close();
  };
  if (chOwner && clickhouseDatabase !== undefined) {
    const ch = await createClickhouseClient({ url: chOwner });
    try {
      await migrateClickhouse(ch, { ...environment(), ...stackEnv, ...common }, clickhouseDatabase);
    } finally {
      await ch.close();
    }
  }
  if (hooks.beforeStart) {
    try {
      await hooks.beforeStart({ base, kafka, topics });
    } catch (err) {
      await control.disconnect().catch(() => undefined);
      await removePrefixed(admin, base).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await withPgClient(stackEnv['DATABASE_URL'] ?? '', (db) =>
        db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
      ).catch(() => undefined);
      await dropClickhouse().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const servers = INFRA.filter((c) => c.name !== 'prometheus');
  const ports = new Map<string, number>();
  const processes: SupervisedProcess[] = [];
  for (const [i, service] of services.entries()) {
    const port =
      portBase === undefined ? await freePort() : portBase === 'stack' ? service.port : portBase + i;
    ports.set(service.name, port);
    const overrides: Record<string, string> = { ...common, [service.portEnv]: String(port) };
    if (service.args[1] === 'aggregates') overrides['SINK_AGGREGATES_GROUP_ID'] = `${base}-${service.name}`;
    const pidFile = join(dir, 'run', `${service.name}.pid`);
    const logFile = join(dir, 'logs', `${service.name}.log`);
    processes.push({
      name: service.name,
      logFile,
      startTimeoutMs: 120_000,
      pid: () => readPid(pidFile),
      start: () =>
        startDetached({
          name: service.name,
          ...pipelineLaunch(service, projectRoot(), stackEnv, overrides),
          cwd: projectRoot(),
          logFile,
          pidFile,
        }),
      live: () => httpOk(`http://127.0.0.1:${port}/healthz`),
      ready: () => httpReadiness(`http://127.0.0.1:${port}/readyz`),
      dependenciesUp: async () => (await Promise.all(servers.map((s) => s.healthy(ctx)))).every(Boolean),
    });
  }
  const supervisor = new Supervisor(processes, CHAOS_SUPERVISION, {
    log: (m) => log(m.split('\n')[0] ?? m),
    changed: () => undefined,
  });
  supervisor.run();
  const byName = new Map(processes.map((p) => [p.name, p]));
  const metrics = (service: string) => scrape(ports.get(service) ?? 0);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await supervisor.stop();
    await Promise.all(
      processes.map(async (p) => {
        const pid = p.pid();
        if (pid !== undefined && isAlive(pid)) await stopPid(pid, 'SIGTERM', 30_000);
      }),
    );
    await control.disconnect().catch(() => undefined);
  };
  const remove = async () => {
    await stop();
    await removePrefixed(admin, base);
    await admin.disconnect().catch(() => undefined);
    await withPgClient(stackEnv['DATABASE_URL'] ?? '', async (db) => {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.query(`DROP SCHEMA IF EXISTS "${mirrorSchemaOf(schema)}" CASCADE`).catch(() => undefined);
    }).catch(() => undefined);
    await dropClickhouse().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  const allHealthy = () => supervisor.status().every((s) => s.state === 'healthy');
  const deadline = Date.now() + 180_000;
  while (!allHealthy()) {
    if (Date.now() > deadline) {
      const bad = supervisor.status().filter((s) => s.state !== 'healthy');
      await remove();
      throw new Error(
        `${prefix} pipeline not ready within 180 s: ${bad.map((s) => `${s.name} ${s.state}`).join(', ')}`,
      );
    }
    await sleep(500);
  }
  log(`pipeline ${base} ready (logs: ${dir}/logs): ${services.map((s) => s.name).join(', ')}`);

  const steering = producerSteering({
    control,
    controlTopic: topics.control,
    base,
    actor: prefix,
    metrics: () => metrics('producer'),
    timeoutMs: 30_000,
  });
  return {
    base,
    schema,
    topics,
    dir,
    ports,
    services: services.map((s) => s.name),
    clickhouseDatabase,
    kafka,
    admin,
    status: () => supervisor.status(),
    pid: (service) => byName.get(service)?.pid(),
    setRate: steering.setRate,
    pause: steering.pause,
    metrics,
    async produced() {
      return (await admin.fetchTopicOffsets(topics.sales)).reduce((a, o) => a + Number(o.high), 0);
    },
    stop,
    remove,
  };
}
