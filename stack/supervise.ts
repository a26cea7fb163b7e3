/**
 * The native stack's supervisor: a small detached process (`retail-etl stack supervise`) that
 * `make up` starts last and `make down` stops first. It watches every component `up` started
 * (listed in run/supervised.json) with stack/supervisor.ts, restarts what exits or hangs, keeps
 * its counts in run/supervisor.json (read by `make status`) and serves them as Prometheus metrics
 * on 127.0.0.1 only.
 */
import type { Server } from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { supervisorConfig } from '../lib/config/index.js';
import { HOST } from '../lib/ports.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import type { NativeComponent, StackContext } from './component.js';
import { dataDiskMetrics } from './disk-metrics.js';
import { httpOk, httpReadiness } from './net.js';
import { isAlive, pidFileFor, readPid, startDetached } from './process.js';
import type { ProcessStatus, SupervisedProcess } from './supervisor.js';
import { DEFAULT_SUPERVISOR_OPTIONS, Supervisor } from './supervisor.js';

export const SUPERVISOR_NAME = 'supervisor';

/** Servers the pipeline does not need: a start of a pipeline process never waits for them. */
const OBSERVERS = new Set(['prometheus', 'postgres-exporter']);

export interface SupervisorFile {
  pid: number;
  updatedAt: string;
  processes: ProcessStatus[];
}

export const supervisedListFile = (ctx: StackContext) => join(ctx.paths.run, 'supervised.json');
export const supervisorStateFile = (ctx: StackContext) => join(ctx.paths.run, 'supervisor.json');

/** What the supervisor's last write says (undefined when it never ran here). */
export function readSupervisorFile(ctx: StackContext): SupervisorFile | undefined {
  const file = supervisorStateFile(ctx);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SupervisorFile;
  } catch {
    return undefined;
  }
}

/** A stack component as the supervisor sees it: its PID file, its launch, its probes. */
export function supervisedComponent(
  ctx: StackContext,
  c: NativeComponent,
  servers: NativeComponent[],
): SupervisedProcess {
  const pidFile = pidFileFor(ctx.paths.run, c.name);
  const logFile = join(ctx.paths.logs, `${c.name}.log`);
  const isServer = servers.includes(c);
  const port = c.ports[0];
  return {
    name: c.name,
    logFile,
    startTimeoutMs: c.startTimeoutMs,
    pid: () => readPid(pidFile),
    start: () => startDetached({ name: c.name, ...c.launch(ctx), cwd: ctx.paths.root, logFile, pidFile }),
    // Pipeline processes answer /healthz while they wait for Kafka; servers have only their check.
    live: () => (isServer ? c.healthy(ctx) : httpOk(`http://${HOST}:${port}/healthz`)),
    ready: async () =>
      isServer ? { ready: await c.healthy(ctx) } : httpReadiness(`http://${HOST}:${port}/readyz`),
    dependenciesUp: isServer
      ? undefined
      : // The pipeline needs Kafka, the registry, Postgres and ClickHouse; the observers only watch.
        async () =>
          (await Promise.all(servers.filter((s) => !OBSERVERS.has(s.name)).map((s) => s.healthy(ctx)))).every(
            Boolean,
          ),
  };
}

function writeState(ctx: StackContext, processes: ProcessStatus[]): void {
  const file = supervisorStateFile(ctx);
  const body: SupervisorFile = { pid: process.pid, updatedAt: new Date().toISOString(), processes };
  writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

export function supervisorMetrics(registry: Registry, status: () => ProcessStatus[]) {
  const restarts = new Counter({
    name: 'retail_stack_restarts_total',
    help: 'Restarts of a stack process by the supervisor (after it exited or stopped answering)',
    labelNames: ['component'],
    registers: [registry],
  });
  new Gauge({
    name: 'retail_stack_crash_loop',
    help: '1 while the supervisor has given up on a process (crash loop), else 0',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      for (const s of status()) this.set({ component: s.name }, s.state === 'crash-loop' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'retail_stack_process_healthy',
    help: '1 when the supervisor last found the process healthy, else 0',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      for (const s of status()) this.set({ component: s.name }, s.state === 'healthy' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'retail_stack_last_recovery_seconds',
    help: 'Time from the last time a process went down to healthy again',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      for (const s of status())
        if (s.lastRecoveryMs !== undefined) this.set({ component: s.name }, s.lastRecoveryMs / 1000);
    },
  });
  return restarts;
}

/**
 * Run until SIGTERM: watch `components` (the stack's own, in start order), persist and export
 * their state. `servers` are the ones the pipeline processes depend on.
 */
export async function runStackSupervisor(
  ctx: StackContext,
  components: NativeComponent[],
  servers: NativeComponent[],
  log: (m: string) => void,
): Promise<void> {
  const config = supervisorConfig();
  const processes = components.map((c) => supervisedComponent(ctx, c, servers));
  const registry = new Registry();
  // Read lazily (at a scrape or a change), once the supervisor below exists.
  const status = (): ProcessStatus[] => supervisor.status();
  const restarts = supervisorMetrics(registry, status);
  dataDiskMetrics(registry, ctx.paths.data);
  const seen = new Map<string, number>();
  const supervisor: Supervisor = new Supervisor(
    processes,
    { ...DEFAULT_SUPERVISOR_OPTIONS, ...config },
    {
      log,
      changed: (s) => {
        const before = seen.get(s.name) ?? 0;
        if (s.restarts > before) restarts.inc({ component: s.name }, s.restarts - before);
        seen.set(s.name, s.restarts);
        writeState(ctx, status());
      },
    },
  );
  // Every component gets a series at 0, so increase() sees the first restart.
  for (const s of status()) restarts.inc({ component: s.name }, 0);
  writeState(ctx, status());
  let server: Server | undefined;
  try {
    server = await startProcessServer({ port: config.metricsPort, host: HOST, registry, ready: () => true });
  } catch (err) {
    // Metrics are a convenience: supervision goes on without them.
    log(`metrics not served: ${(err as Error).message}`);
  }
  supervisor.run();
  log(`supervising ${components.map((c) => c.name).join(', ')} (pid ${process.pid})`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  log('stopping: the processes keep running');
  await supervisor.stop();
  if (server) await closeServer(server);
}

/** True while the stack's supervisor runs. */
export function supervisorRunning(ctx: StackContext): number | undefined {
  const pid = readPid(pidFileFor(ctx.paths.run, SUPERVISOR_NAME));
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}
