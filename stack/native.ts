/**
 * The native stack: Kafka, the Schema Registry, Postgres and Prometheus started from this
 * machine's Java and Debian packages, ClickHouse on the chdb engine of the project's own
 * dependencies, then the pipeline's own processes. `up` is all-or-nothing:
 * a taken port stops it before anything starts, and a component that fails takes down what this
 * `up` started, with the last lines of its log in the error.
 */
import { mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { EtlError } from '../lib/errors.js';
import { formatEnvFile } from '../lib/env-file.js';
import { HOST, PORTS } from '../lib/ports.js';
import type { NativeComponent, StackContext } from './component.js';
import { clickhouse } from './components/clickhouse.js';
import { kafka } from './components/kafka.js';
import { kafkaConnect } from './components/kafka-connect.js';
import { launchAndWait } from './launch.js';
import { postgres } from './components/postgres.js';
import { prometheus } from './components/prometheus.js';
import { schemaRegistry } from './components/schema-registry.js';
import { portIsFree } from './net.js';
import type { StackPaths } from './paths.js';
import { PIPELINE_SERVICES, pipelineComponent } from './pipeline.js';
import { isAlive, pidFileFor, readPid, removePidFile, stopPid } from './process.js';
import { apiTokens, loadOrCreateSecrets } from './secrets.js';

export const INFRA: readonly NativeComponent[] = [kafka, schemaRegistry, postgres, clickhouse, prometheus];

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
  for (const c of toStart) {
    for (const port of c.ports) {
      if (!(await portIsFree(port))) {
        throw new EtlError('PORT_IN_USE', `port ${HOST}:${port} needed by ${c.name} is already in use`, {
          hint: `stop whatever listens there (ss -ltnp 'sport = :${port}') or run \`make down\`, then \`make up\` again`,
        });
      }
    }
  }

  for (const c of toStart) await c.provision(ctx);

  const started: NativeComponent[] = [];
  const env = infraEnv(ctx);
  const stages = [toStart.filter((c) => INFRA.includes(c)), toStart.filter((c) => !INFRA.includes(c))];
  try {
    for (const stage of stages) {
      for (const c of stage) await c.prepare(ctx);
      // Independent servers start side by side; the pipeline starts once they are healthy.
      const results = await Promise.allSettled(stage.map((c) => launchAndWait(ctx, c)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      started.push(...stage);
      for (const c of stage) await c.afterStart?.(ctx);
    }
  } catch (err) {
    // Stop everything this call launched, including a stage's siblings of the one that failed.
    await stopComponents(ctx, [...toStart].reverse());
    throw err;
  }

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
  const pipelineFirst = [...knownComponents(ctx)].reverse();
  const stopped = await stopComponents(ctx, pipelineFirst);
  if (existsSync(ctx.paths.envFile)) rmSync(ctx.paths.envFile);
  return stopped;
}
