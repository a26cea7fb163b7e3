/**
 * Measurements of a running bench pipeline: CPU of its processes and of the stack's servers over a
 * window, one step of a rate ladder (raw event-to-row p95 from the raw sink's own histogram, and
 * whether any consumer group's lag grows), and the drain after the producer pauses.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { INFRA } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { isAlive, pidFileFor, readPid } from '../../stack/process.js';
import type { BenchPipeline } from './bench-pipeline.js';
import type { Growth, LagSample } from './group-lag.js';
import { groupLags, lagGrowth } from './group-lag.js';
import { cpuDelta, cpuSnapshot } from './proc-cpu.js';
import { delta, histogram, quantile } from './prom-text.js';

/** The native stack's servers that run now, by name (empty under Docker: no PIDs to read). */
export function serverPids(): Map<string, number> {
  const run = stackPaths().run;
  const out = new Map<string, number>();
  for (const name of [...INFRA.map((c) => c.name), 'kafka-connect']) {
    const pid = readPid(pidFileFor(run, name));
    if (pid !== undefined && isAlive(pid)) out.set(name, pid);
  }
  return out;
}

export interface CpuWindow {
  seconds: number;
  /** CPU-seconds per pipeline process. */
  pipeline: Map<string, number>;
  /** CPU-seconds per server (kafka, postgres, …). */
  servers: Map<string, number>;
}

export function cpuStart(p: BenchPipeline, servers: Map<string, number>) {
  const t0 = performance.now();
  const a = cpuSnapshot(p.pids);
  const b = cpuSnapshot(servers);
  return (): CpuWindow => ({
    seconds: (performance.now() - t0) / 1000,
    pipeline: cpuDelta(cpuSnapshot(p.pids), a),
    servers: cpuDelta(cpuSnapshot(servers), b),
  });
}

export async function measureCpu(
  p: BenchPipeline,
  servers: Map<string, number>,
  seconds: number,
): Promise<CpuWindow> {
  const end = cpuStart(p, servers);
  await sleep(seconds * 1000);
  return end();
}

export interface StepOptions {
  rate: number;
  seconds: number;
  /** Lag must grow for this long to count. */
  growthWindowS: number;
  p95LimitS: number;
  log(m: string): void;
}

export interface StepResult {
  rate: number;
  achieved: number;
  produced: number;
  p95: number;
  rows: number;
  growth: Map<string, Growth>;
  cpu: CpuWindow;
  pass: boolean;
  reasons: string[];
}

const RAW_LATENCY = 'retail_sink_event_to_row_seconds';

/**
 * Hold `rate` for `seconds` and judge it: raw rows' p95 event-to-row (Kafka record timestamp to
 * committed row) within the limit, no group's lag growing, the producer reaching 95 % of the rate.
 */
export async function runStep(
  p: BenchPipeline,
  servers: Map<string, number>,
  o: StepOptions,
): Promise<StepResult> {
  await p.setRate(o.rate);
  const before = histogram(await p.metrics('sink-postgres'), RAW_LATENCY, { from: 'ingest' });
  const produced0 = await p.produced();
  const endCpu = cpuStart(p, servers);
  const t0 = performance.now();
  const series = new Map<string, LagSample[]>();
  while ((performance.now() - t0) / 1000 < o.seconds) {
    await sleep(2000);
    const t = (performance.now() - t0) / 1000;
    for (const [group, lag] of await groupLags(p.admin, p.base)) {
      series.set(group, [...(series.get(group) ?? []), { t, records: lag.records }]);
    }
  }
  const cpu = endCpu();
  const produced = (await p.produced()) - produced0;
  const d = delta(histogram(await p.metrics('sink-postgres'), RAW_LATENCY, { from: 'ingest' }), before);
  const p95 = quantile(d, 0.95);
  const achieved = produced / cpu.seconds;
  const growth = new Map<string, Growth>();
  const reasons: string[] = [];
  for (const [group, samples] of series) {
    const g = lagGrowth(samples, o.growthWindowS, Math.max(20, 0.02 * o.rate), Math.max(1000, 2 * o.rate));
    growth.set(group, g);
    const span = (samples.at(-1)?.t ?? 0) - (samples[0]?.t ?? 0);
    if (span < o.growthWindowS)
      reasons.push(`${group} lag not judged (samples span only ${span.toFixed(0)} s)`);
    else if (g.grows)
      reasons.push(`${group} lag grows ${Math.round(g.slope)}/s (${g.records} records behind)`);
  }
  if (!(p95 <= o.p95LimitS)) reasons.push(`raw p95 ${p95.toFixed(2)} s > ${o.p95LimitS} s`);
  if (achieved < 0.95 * o.rate) reasons.push(`producer reached ${Math.round(achieved)}/s`);
  const result: StepResult = {
    rate: o.rate,
    achieved,
    produced,
    p95,
    rows: d.count,
    growth,
    cpu,
    pass: reasons.length === 0,
    reasons,
  };
  o.log(
    `${o.rate}/s: achieved ${Math.round(achieved)}/s, raw p95 ${p95.toFixed(3)} s, lag slopes ${[...growth]
      .map(([g, x]) => `${g.slice(p.base.length + 1)} ${Math.round(x.slope)}/s`)
      .join(', ')} → ${result.pass ? 'sustained' : `FAILED: ${reasons.join('; ')}`}`,
  );
  return result;
}

/**
 * Wait until every group has consumed everything (a transactional topic leaves at most one
 * commit marker per partition unread), three samples in a row. Returns the seconds it took.
 */
export async function drain(p: BenchPipeline, timeoutS: number): Promise<number> {
  const t0 = performance.now();
  let calm = 0;
  while ((performance.now() - t0) / 1000 < timeoutS) {
    const lags = await groupLags(p.admin, p.base);
    const behind = [...lags.values()].some((l) => l.records > l.partitions);
    calm = behind || lags.size === 0 ? 0 : calm + 1;
    if (calm >= 3) return (performance.now() - t0) / 1000;
    await sleep(1000);
  }
  const lags = await groupLags(p.admin, p.base);
  throw new Error(
    `the pipeline did not drain within ${timeoutS} s: ${[...lags].map(([g, l]) => `${g} ${l.records}`).join(', ')}`,
  );
}
