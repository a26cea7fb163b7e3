/**
 * The chaos soak (`make chaos`, and a short run in `make test`): a pipeline of its own
 * (pipeline.ts) under supervision, beside the running stack; its producer at `rate` events/s plus
 * a trickle of events through `POST /v1/events` whose acknowledgements are counted; every
 * `killEverySeconds` a random target killed with -9 — the pipeline's processes (healed by the
 * chaos supervisor) and, when asked, the stack's servers (healed by `make up`'s supervisor); then
 * the producer paused, every group drained, and every store reconciled (reconcile.ts). Progress
 * is printed as it runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { environment } from '../../../lib/config/index.js';
import { readDlq } from '../../../sinks/core/dlq/reader.js';
import { processorConfig } from '../../../processors/runtime/config.js';
import type { StackContext } from '../../../stack/component.js';
import { INFRA } from '../../../stack/native.js';
import { isAlive, pidFileFor, readPid } from '../../../stack/process.js';
import { supervisorRunning } from '../../../stack/supervise.js';
import { groupLags } from '../group-lag.js';
import { lateIdsByProcessor } from '../late-reader.js';
import { makeEvents } from '../sale-events.js';
import type { ChaosPipeline } from './pipeline.js';
import { startChaosPipeline } from './pipeline.js';
import type { StoreCheck } from './reconcile.js';
import {
  checkAggregateTables,
  checkClickhouseRawRows,
  checkDlq,
  checkIngest,
  checkLate,
  checkRawRows,
} from './reconcile.js';
import { createClickhouseClient } from '../../../sinks/clickhouse/client.js';
import { mirrorClickhouse, mirrorSchemaOf } from './clickhouse-mirror.js';
import { loadReference } from './reference.js';
import { seededRandom } from '../random.js';

export const SERVER_TARGETS = ['kafka', 'postgres', 'schema-registry', 'clickhouse'] as const;

export interface ChaosOptions {
  durationSeconds: number;
  rate: number;
  killEverySeconds: number;
  /** Comma list of targets, or `all` / `pipeline`. */
  targets: string;
  drainSeconds: number;
  /** First of consecutive ports for the pipeline's processes (default: any free ports). */
  portBase?: number;
  /** Random seed for the choice of victims (default: time). */
  seed?: number;
  log(message: string): void;
}

export interface KillRecord {
  target: string;
  atSecond: number;
  pid: number;
  /** Seconds from the kill until the target was healthy again (undefined: not within the run). */
  recoverySeconds: number | undefined;
  /** Seconds from the kill until every process was healthy again. */
  allHealthySeconds: number | undefined;
}

export interface ChaosReport {
  base: string;
  seconds: number;
  rate: number;
  produced: number;
  ingestAcked: number;
  kills: KillRecord[];
  worstLag: { group: string; records: number; atSecond: number };
  drainSeconds: number;
  stores: StoreCheck[];
  /** Processes not healthy at the end. */
  unhealthy: string[];
  ok: boolean;
}

/** Which targets this run may kill; servers only when the stack's supervisor will restart them. */
export function chooseTargets(spec: string, pipeline: string[], serversSupervised: boolean): string[] {
  const words = spec
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const wanted = new Set<string>();
  for (const w of words) {
    if (w === 'all') {
      pipeline.forEach((p) => wanted.add(p));
      SERVER_TARGETS.forEach((s) => wanted.add(s));
    } else if (w === 'pipeline') pipeline.forEach((p) => wanted.add(p));
    else if (pipeline.includes(w) || (SERVER_TARGETS as readonly string[]).includes(w)) wanted.add(w);
    else
      throw new Error(
        `CHAOS_TARGETS: unknown target "${w}" (allowed: all, pipeline, ${[...pipeline, ...SERVER_TARGETS].join(', ')})`,
      );
  }
  const servers = [...wanted].filter((t) => (SERVER_TARGETS as readonly string[]).includes(t));
  if (servers.length > 0 && !serversSupervised) {
    if (words.includes('all')) return [...wanted].filter((t) => !servers.includes(t));
    throw new Error(
      `CHAOS_TARGETS names ${servers.join(', ')}, but the stack's supervisor is not running: nothing would restart them (run \`make up\`)`,
    );
  }
  return [...wanted];
}

export async function runChaos(
  ctx: StackContext,
  stackEnv: Record<string, string>,
  options: ChaosOptions,
): Promise<ChaosReport> {
  const log = options.log;
  const servers = INFRA.filter((c) => (SERVER_TARGETS as readonly string[]).includes(c.name));
  const serverPid = (name: string) => readPid(pidFileFor(ctx.paths.run, name));
  const serverHealthy = async (name: string) => {
    const pid = serverPid(name);
    const c = servers.find((s) => s.name === name);
    return pid !== undefined && isAlive(pid) && c !== undefined && (await c.healthy(ctx).catch(() => false));
  };

  const p = await startChaosPipeline(ctx, stackEnv, log, options.portBase);
  const targets = chooseTargets(options.targets, p.services, supervisorRunning(ctx) !== undefined);
  const seed = options.seed ?? Date.now();
  const rnd = seededRandom(seed);
  log(`targets: ${targets.join(', ')} (seed ${seed}); a kill every ${options.killEverySeconds} s`);
  const healthyNow = async (name: string) =>
    p.services.includes(name)
      ? p.status().find((s) => s.name === name)?.state === 'healthy'
      : serverHealthy(name);
  const everyoneHealthy = async () =>
    (
      await Promise.all([...p.services, ...targets.filter((t) => !p.services.includes(t))].map(healthyNow))
    ).every(Boolean);

  const kills: KillRecord[] = [];
  const acked: string[] = [];
  let worst = { group: '', records: 0, atSecond: 0 };
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  let producing = true;
  const watchers: Promise<void>[] = [];

  try {
    await p.setRate(options.rate);

    // A trickle through the HTTP ingest: the acknowledged events are counted independently.
    const ingestPort = p.ports.get('serve');
    const ingestLoop = (async () => {
      while (producing) {
        const events = makeEvents(Math.max(1, Math.round(options.rate / 100)));
        try {
          const res = await fetch(`http://127.0.0.1:${ingestPort}/v1/events`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${stackEnv['RETAIL_TOKEN_INGEST'] ?? ''}`,
            },
            body: JSON.stringify(events),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.status === 202) acked.push(...events.map((e) => e.event_id));
        } catch {
          /* serve down or Kafka away: not acknowledged, not counted */
        }
        await sleep(250);
      }
    })();

    const lagLoop = (async () => {
      while (producing) {
        try {
          for (const [group, lag] of await groupLags(p.admin, p.base)) {
            if (lag.records > worst.records) worst = { group, records: lag.records, atSecond: elapsed() };
          }
        } catch {
          /* broker away */
        }
        await sleep(2000);
      }
    })();

    let nextKill = options.killEverySeconds;
    let nextProgress = 10;
    while (elapsed() < options.durationSeconds) {
      if (elapsed() >= nextKill && targets.length > 0) {
        nextKill += options.killEverySeconds;
        const target = targets[Math.floor(rnd() * targets.length)] ?? targets[0]!;
        const pid = p.services.includes(target) ? p.pid(target) : serverPid(target);
        if (pid !== undefined && isAlive(pid)) {
          process.kill(pid, 'SIGKILL');
          const record: KillRecord = {
            target,
            atSecond: elapsed(),
            pid,
            recoverySeconds: undefined,
            allHealthySeconds: undefined,
          };
          kills.push(record);
          log(`kill -9 ${target} (pid ${pid}) at ${record.atSecond.toFixed(0)} s`);
          const killedAt = Date.now();
          watchers.push(
            (async () => {
              // Healthy again means a new PID that answers: wait for the old one to be gone first.
              const newPid = () => (p.services.includes(target) ? p.pid(target) : serverPid(target));
              while (Date.now() - killedAt < 600_000) {
                const now = newPid();
                if (record.recoverySeconds === undefined && now !== pid && (await healthyNow(target))) {
                  record.recoverySeconds = (Date.now() - killedAt) / 1000;
                  log(`${target} healthy again after ${record.recoverySeconds.toFixed(1)} s`);
                }
                if (record.recoverySeconds !== undefined && (await everyoneHealthy())) {
                  record.allHealthySeconds = (Date.now() - killedAt) / 1000;
                  return;
                }
                await sleep(250);
              }
            })(),
          );
        }
      }
      if (elapsed() >= nextProgress) {
        nextProgress += 10;
        const produced = await p.produced().catch(() => NaN);
        const states = p
          .status()
          .filter((s) => s.state !== 'healthy')
          .map((s) => `${s.name} ${s.state}`);
        log(
          `${elapsed().toFixed(0)}/${options.durationSeconds} s: ${produced} records, ${acked.length} ingest acks, ${kills.length} kills, worst lag ${worst.records} (${worst.group.slice(p.base.length + 1) || '—'})${states.length ? `; not healthy: ${states.join(', ')}` : ''}`,
        );
      }
      await sleep(200);
    }

    log('load stops: waiting for every process to be healthy, then for every group to drain');
    producing = false;
    await ingestLoop;
    await lagLoop;
    const healDeadline = Date.now() + 300_000;
    while (!(await everyoneHealthy()) && Date.now() < healDeadline) await sleep(500);
    await p.pause();
    await Promise.all(watchers);
    const drainSeconds = await drainGroups(p, options.drainSeconds, log);

    log('reconciling every store against the raw topic (read_committed)');
    const db = new pg.Client({ connectionString: stackEnv['DATABASE_URL'] });
    await db.connect();
    try {
      const ref = await loadReference(p.kafka, db, p.topics.sales, stackEnv['SCHEMA_REGISTRY_URL']);
      log(`reference: ${ref.records} records read in ${ref.seconds.toFixed(1)} s`);
      const dlq = await readDlq(p.kafka, p.topics.dlq);
      const late = await lateIdsByProcessor(p.kafka, p.topics.late, stackEnv['SCHEMA_REGISTRY_URL']);
      const topN = processorConfig({}, { ...environment(), ...stackEnv }).topN;
      // What a raw sink dead-lettered (DLQ header dlq.sink: its name) is not expected in its table.
      const dlqOf = (sink: string) =>
        dlq.filter((d) => d.source.topic === p.topics.sales && d.sinks.includes(sink)).map((d) => d.source);
      const stores: StoreCheck[] = [
        await checkIngest(db, acked),
        await checkRawRows(db, p.schema, dlqOf('postgres')),
        ...(await checkAggregateTables(db, p.schema, late, topN)),
        ...(await checkClickhouse(p, stackEnv, db, dlqOf('clickhouse'), late, topN, log)),
        await checkLate(db, late),
        checkDlq(dlq),
      ];
      const unhealthy = p
        .status()
        .filter((s) => s.state !== 'healthy')
        .map((s) => s.name);
      for (const t of targets.filter((t) => !p.services.includes(t)))
        if (!(await serverHealthy(t))) unhealthy.push(t);
      const ok =
        stores.every((s) => s.lost === 0 && s.duplicated === 0 && s.wrong === 0) &&
        unhealthy.length === 0 &&
        kills.every((k) => k.recoverySeconds !== undefined);
      // The pipeline's directory goes with it: what a failed soak's processes said stays in its log.
      if (!ok) for (const name of p.services) logTail(log, join(p.dir, 'logs', `${name}.log`), 30);
      return {
        base: p.base,
        seconds: options.durationSeconds,
        rate: options.rate,
        produced: ref.records,
        ingestAcked: acked.length,
        kills,
        worstLag: worst,
        drainSeconds,
        stores,
        unhealthy,
        ok,
      };
    } finally {
      await db.end().catch(() => undefined);
    }
  } finally {
    producing = false;
    await p.remove();
  }
}

/** The last `lines` lines of a process's log, through `log` (nothing if it has none). */
function logTail(log: (message: string) => void, file: string, lines: number): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  log(`last lines of ${file}:\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`);
}

/** ClickHouse's raw and aggregate tables, when the chaos pipeline ran its ClickHouse sinks. */
async function checkClickhouse(
  p: ChaosPipeline,
  stackEnv: Record<string, string>,
  db: pg.Client,
  dlqPositions: { partition: number; offset: number }[],
  late: Map<string, string[]>,
  topN: number,
  log: (m: string) => void,
): Promise<StoreCheck[]> {
  const owner = stackEnv['CLICKHOUSE_URL'];
  if (p.clickhouseDatabase === undefined || !owner) return [];
  const t0 = performance.now();
  const ch = await createClickhouseClient({ url: owner });
  try {
    const totals = await mirrorClickhouse(ch, db, p.clickhouseDatabase, p.schema);
    log(
      `clickhouse: ${totals.rows} raw rows copied for the checks in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const mirror = mirrorSchemaOf(p.schema);
    return [
      await checkClickhouseRawRows(db, mirror, dlqPositions, totals),
      ...(await checkAggregateTables(db, mirror, late, topN, 'clickhouse')),
    ];
  } finally {
    await ch.close();
  }
}

export async function drainGroups(
  p: ChaosPipeline,
  timeoutS: number,
  log: (m: string) => void,
): Promise<number> {
  const t0 = performance.now();
  let calm = 0;
  let lastLog = 0;
  while ((performance.now() - t0) / 1000 < timeoutS) {
    const lags = await groupLags(p.admin, p.base).catch(
      () => new Map<string, { records: number; partitions: number }>(),
    );
    const behind = [...lags].filter(([, l]) => l.records > l.partitions);
    calm = behind.length > 0 || lags.size === 0 ? 0 : calm + 1;
    if (calm >= 3) return (performance.now() - t0) / 1000;
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(
        `draining: ${behind.map(([g, l]) => `${g.slice(p.base.length + 1)} ${l.records}`).join(', ') || 'settling'}`,
      );
    }
    await sleep(1000);
  }
  const lags = await groupLags(p.admin, p.base).catch(() => new Map<string, { records: number }>());
  throw new Error(
    `the chaos pipeline did not drain within ${timeoutS} s: ${[...lags].map(([g, l]) => `${g} ${l.records}`).join(', ')}`,
  );
}

/** The closing table: one line per store, then the kills and their recovery times. */
export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  lines.push(
    `chaos ${r.ok ? 'PASSED' : 'FAILED'}: ${r.seconds} s at ${r.rate} events/s, ${r.produced} records in the raw topic, ${r.ingestAcked} ingest acknowledgements, ${r.kills.length} kills`,
  );
  lines.push(
    `${'store'.padEnd(28)} ${pad('expected', 10)} ${pad('lost', 6)} ${pad('dup', 6)} ${pad('wrong', 6)}`,
  );
  for (const s of r.stores) {
    lines.push(
      `${s.store.padEnd(28)} ${pad(s.expected, 10)} ${pad(s.lost, 6)} ${pad(s.duplicated, 6)} ${pad(s.wrong, 6)}  ${s.notes ?? ''}`,
    );
  }
  lines.push('kills (target, at, back healthy after, all healthy after):');
  for (const k of r.kills) {
    const f = (x: number | undefined) => (x === undefined ? 'NOT RECOVERED' : `${x.toFixed(1)} s`);
    lines.push(
      `  ${k.target.padEnd(18)} ${pad(k.atSecond.toFixed(0), 5)} s  ${pad(f(k.recoverySeconds), 14)}  ${pad(f(k.allHealthySeconds), 14)}`,
    );
  }
  const rec = r.kills.map((k) => k.recoverySeconds).filter((x): x is number => x !== undefined);
  if (rec.length > 0) {
    const sorted = [...rec].sort((a, b) => a - b);
    lines.push(
      `recovery: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} s, worst ${sorted.at(-1)!.toFixed(1)} s`,
    );
  }
  lines.push(
    `worst lag: ${r.worstLag.records} records (${r.worstLag.group || '—'}, at ${r.worstLag.atSecond.toFixed(0)} s); drained in ${r.drainSeconds.toFixed(1)} s`,
  );
  if (r.unhealthy.length > 0) lines.push(`not healthy at the end: ${r.unhealthy.join(', ')}`);
  return lines.join('\n');
}
