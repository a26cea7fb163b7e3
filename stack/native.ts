/**
 * The native stack: Kafka, the Schema Registry, Postgres and Prometheus started from this
 * machine's Java and Debian packages, ClickHouse on the chdb engine of the project's own
 * dependencies, then the pipeline's own processes, then a supervisor that restarts any of them
 * that exits or hangs (stack/supervise.ts). A taken port stops `up` before anything starts; a
 * server that fails takes down the servers this `up` started, with the last lines of its log in
 * the error; a pipeline process that fails takes down only the pipeline processes this `up`
 * started — healthy servers stay up.
 */
import { mkdirSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import { formatEnvFile } from '../lib/env-file.js';
import { supervisorConfig } from '../lib/config/index.js';
import { HOST, PORTS } from '../lib/ports.js';
import type { NativeComponent, StackContext } from './component.js';
import { clickhouse } from './components/clickhouse.js';
import { kafka } from './components/kafka.js';
import { kafkaConnect } from './components/kafka-connect.js';
import { launchAndWait } from './launch.js';
import { postgres } from './components/postgres.js';
import { postgresExporter } from './components/postgres-exporter.js';
import { prometheus } from './components/prometheus.js';
import { schemaRegistry } from './components/schema-registry.js';
import { assertPortsFree } from './port-check.js';
import type { StackPaths } from './paths.js';
import { PIPELINE_SERVICES, pipelineComponent } from './pipeline.js';
import { isAlive, pidFileFor, readPid, removePidFile, stopPid } from './process.js';
import { apiTokens, loadOrCreateSecrets } from './secrets.js';
import {
  readSupervisorFile,
  runStackSupervisor,
  supervisedListFile,
  SUPERVISOR_NAME,
  supervisorRunning,
} from './supervise.js';
import type { SupervisorFile } from './supervise.js';

export const INFRA: readonly NativeComponent[] = [
  kafka,
  schemaRegistry,
  postgres,
  clickhouse,
  prometheus,
  postgresExporter,
];

export interface ComponentStatus {
  name: string;
  title: string;
  url: string;
  pid: number | undefined;
  running: boolean;
  healthy: boolean;
}

export interface UpOptions {
  /** Servers only, no pipeline processes (the integration tests start their own). */
  infraOnly?: boolean;
}

export function stackContext(paths: StackPaths, progress: (m: string) => void): StackContext {
  for (const dir of [paths.stack, paths.cache, paths.data, paths.logs, paths.run, paths.conf])
    mkdirSync(dir, { recursive: true });
  return { paths, secrets: loadOrCreateSecrets(paths.secretsFile), progress };
}

export function infraEnv(ctx: StackContext): Record<string, string> {
  const env: Record<string, string> = { STACK_MODE: 'native' };
  for (const c of INFRA) Object.assign(env, c.env(ctx));
  // The worker starts on demand (`retail-etl connect start`); its URL, credentials included, is known.
  Object.assign(env, kafkaConnect.env(ctx));
  env['PIPELINE_URL'] = `http://${HOST}:${PORTS.pipelineHttp}`;
  Object.assign(env, apiTokens(ctx.secrets));
  return env;
}

function components(ctx: StackContext, options: UpOptions): NativeComponent[] {
  if (options.infraOnly) return [...INFRA];
  const env = infraEnv(ctx);
  const pipeline = PIPELINE_SERVICES.filter((s) => s.enabled?.({ ...process.env, ...env }) ?? true).map((s) =>
    pipelineComponent(s, env),
  );
  return [...INFRA, ...pipeline];
}

/** Every component with a PID file, infra and pipeline alike (for status and down). */
function knownComponents(ctx: StackContext): NativeComponent[] {
  const env = infraEnv(ctx);
  // The Kafka Connect worker is started on demand (`retail-etl connect start`), not by `up`;
  // listed here so `status` shows it while it runs and `down` stops it before Kafka.
  return [...INFRA, kafkaConnect, ...PIPELINE_SERVICES.map((s) => pipelineComponent(s, env))];
}

async function statusOf(ctx: StackContext, c: NativeComponent): Promise<ComponentStatus> {
  const pid = readPid(pidFileFor(ctx.paths.run, c.name));
  const running = pid !== undefined && isAlive(pid);
  const healthy = running && (await c.healthy(ctx).catch(() => false));
  return { name: c.name, title: c.title, url: c.url, pid, running, healthy };
}

export async function nativeStatus(ctx: StackContext): Promise<ComponentStatus[]> {
  const all = await Promise.all(knownComponents(ctx).map((c) => statusOf(ctx, c)));
  // Pipeline processes that were never started are not worth a row.
  return all.filter((s) => INFRA.some((c) => c.name === s.name) || s.pid !== undefined);
}

export interface UpResult {
  started: string[];
  alreadyRunning: string[];
  statuses: ComponentStatus[];
  env: Record<string, string>;
}

export async function nativeUp(ctx: StackContext, options: UpOptions = {}): Promise<UpResult> {
  const wanted = components(ctx, options);
  const before = await Promise.all(wanted.map((c) => statusOf(ctx, c)));
  const alreadyRunning = before.filter((s) => s.running).map((s) => s.name);
  const toStart = wanted.filter((c) => !alreadyRunning.includes(c.name));

  // Missing tools, then ports: fail before anything starts rather than leave half a stack behind.
  for (const c of toStart) c.preflight?.(ctx);
  // All ports first: fail before anything starts rather than leave half a stack behind.
  await assertPortsFree(toStart);

  for (const c of toStart) await c.provision(ctx);

  const started: NativeComponent[] = [];
  const env = infraEnv(ctx);
  // The supervisor would restart what a failed `up` is about to stop: it waits until `up` is done.
  if (toStart.length > 0) await stopSupervisor(ctx);
  const stages = [toStart.filter((c) => INFRA.includes(c)), toStart.filter((c) => !INFRA.includes(c))];
  for (const stage of stages) {
    try {
      for (const c of stage) await c.prepare(ctx);
      // Independent servers start side by side; the pipeline starts once they are healthy.
      const results = await Promise.allSettled(stage.map((c) => launchAndWait(ctx, c)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      started.push(...stage);
      for (const c of stage) await c.afterStart?.(ctx);
    } catch (err) {
      // Stop what this stage launched, siblings of the one that failed included. A pipeline
      // process that fails never takes the servers down with it (they are healthy, and a user
      // fixing one process should not lose Kafka's and Postgres's state of mind to a restart).
      await stopComponents(ctx, [...stage].reverse());
      if (stage === stages[1] && started.length > 0) {
        throw new EtlError('COMPONENT_START_FAILED', `${(err as Error).message}`, {
          hint: `the servers (${started.map((c) => c.name).join(', ')}) stay up; fix the cause above, then run \`make up\` again`,
        });
      }
      throw err;
    }
  }

  // Everything wanted runs: from now on the supervisor keeps it running.
  writeFileSync(supervisedListFile(ctx), JSON.stringify(wanted.map((c) => c.name)) + '\n');
  await startSupervisor(ctx);
  writeFileSync(
    ctx.paths.envFile,
    formatEnvFile(env, 'written by `retail-etl stack up`; source it in a shell'),
    { mode: 0o600 },
  );
  const statuses = await Promise.all(wanted.map((c) => statusOf(ctx, c)));
  return { started: started.map((c) => c.name), alreadyRunning, statuses, env };
}

async function stopComponents(ctx: StackContext, list: NativeComponent[]): Promise<string[]> {
  const stopped: string[] = [];
  for (const c of list) {
    const pidFile = pidFileFor(ctx.paths.run, c.name);
    const pid = readPid(pidFile);
    if (pid === undefined) continue;
    if (isAlive(pid)) {
      const how = await stopPid(pid, c.stopSignal, 30_000);
      stopped.push(how === 'killed' ? `${c.name} (killed after 30 s)` : c.name);
    }
    removePidFile(pidFile);
  }
  return stopped;
}

/** Stop the named components (what one `up` started), pipeline first. */
export async function nativeStop(ctx: StackContext, names: readonly string[]): Promise<string[]> {
  const list = [...knownComponents(ctx)].reverse().filter((c) => names.includes(c.name));
  return stopComponents(ctx, list);
}

export async function nativeDown(ctx: StackContext): Promise<string[]> {
  // The supervisor first, or it restarts what is being stopped.
  const stopped = await stopSupervisor(ctx);
  const pipelineFirst = [...knownComponents(ctx)].reverse();
  stopped.push(...(await stopComponents(ctx, pipelineFirst)));
  rmSync(supervisedListFile(ctx), { force: true });
  if (existsSync(ctx.paths.envFile)) rmSync(ctx.paths.envFile);
  return stopped;
}

function supervisorComponent(ctx: StackContext): NativeComponent {
  const port = supervisorConfig().metricsPort;
  return {
    name: SUPERVISOR_NAME,
    title: 'supervisor: restarts a stack process that exits or stops answering',
    ports: [port],
    stopSignal: 'SIGTERM',
    startTimeoutMs: 15_000,
    url: `http://${HOST}:${port}/metrics`,
    provision: async () => undefined,
    prepare: async () => undefined,
    launch: () => ({
      command: process.execPath,
      args: [join(ctx.paths.root, 'dist', 'cli', 'main.js'), 'stack', 'supervise'],
      env: { ...process.env, RETAIL_ETL_STACK_DIR: ctx.paths.stack },
    }),
    healthy: async () => supervisorRunning(ctx) !== undefined && readSupervisorFile(ctx) !== undefined,
    env: () => ({}),
  };
}

export async function startSupervisor(ctx: StackContext): Promise<void> {
  if (supervisorRunning(ctx) !== undefined) return;
  if (!existsSync(join(ctx.paths.root, 'dist', 'cli', 'main.js'))) {
    ctx.progress('supervisor: not started (dist/cli/main.js is missing: run `npm run build`)');
    return;
  }
  rmSync(join(ctx.paths.run, 'supervisor.json'), { force: true });
  await launchAndWait(ctx, supervisorComponent(ctx));
}

export async function stopSupervisor(ctx: StackContext): Promise<string[]> {
  return stopComponents(ctx, [supervisorComponent(ctx)]);
}

/**
 * Stop one pipeline service (its stop signal, SIGTERM: it flushes and commits) and start it with
 * the stack environment of `ctx`'s secrets; resolves once it is ready. `secrets rotate` uses it
 * with the supervisor stopped (the supervisor would restart it with the secrets it started with).
 */
export async function nativeRestartService(ctx: StackContext, name: string): Promise<void> {
  const service = PIPELINE_SERVICES.find((s) => s.name === name);
  if (!service) throw new EtlError('CONFIG_INVALID', `no pipeline service named ${name}`);
  const c = pipelineComponent(service, infraEnv(ctx));
  await stopComponents(ctx, [c]);
  await launchAndWait(ctx, c);
}

/** True while the component's recorded process runs. */
export function componentRunning(ctx: StackContext, name: string): boolean {
  const pid = readPid(pidFileFor(ctx.paths.run, name));
  return pid !== undefined && isAlive(pid);
}

/** The pipeline services whose process runs now. */
export function runningServices(ctx: StackContext): string[] {
  return PIPELINE_SERVICES.filter((s) => componentRunning(ctx, s.name)).map((s) => s.name);
}

/** Write `.stack/env` for `ctx`'s secrets (what `up` writes). */
export function writeStackEnv(ctx: StackContext): void {
  writeFileSync(
    ctx.paths.envFile,
    formatEnvFile(infraEnv(ctx), 'written by `retail-etl stack up`; source it in a shell'),
    { mode: 0o600 },
  );
}

/** `retail-etl stack supervise`: watch what the last `up` started until SIGTERM. */
export async function nativeSupervise(ctx: StackContext, log: (m: string) => void): Promise<void> {
  const file = supervisedListFile(ctx);
  if (!existsSync(file)) {
    throw new EtlError('STACK_NOT_RUNNING', `nothing to supervise: ${file} is missing`, {
      hint: '`make up` starts the supervisor itself once the stack is up',
    });
  }
  const names = JSON.parse(readFileSync(file, 'utf8')) as string[];
  const all = knownComponents(ctx);
  const list = names.flatMap((n) => all.filter((c) => c.name === n));
  await runStackSupervisor(
    ctx,
    list,
    INFRA.filter((c) => list.includes(c)),
    log,
  );
}

/** The supervisor's view for `make status`: its PID when it runs, and its last recorded state. */
export function supervisorStatus(ctx: StackContext): {
  pid: number | undefined;
  file: SupervisorFile | undefined;
} {
  return { pid: supervisorRunning(ctx), file: readSupervisorFile(ctx) };
}
