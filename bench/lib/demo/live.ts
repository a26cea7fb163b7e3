/**
 * The demo's live lines: throughput from each process's own /metrics (counter deltas between two
 * scrapes) and consumer lag from the broker (committed offsets against end offsets), one line
 * every few seconds. A process that does not answer shows as `down`; a counter that went backwards
 * (the process restarted, its counters start again at 0) as `restarted`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosPipeline } from '../chaos/pipeline.js';
import { groupLags } from '../group-lag.js';
import { counter } from '../prom-text.js';

/** The counters one live line shows: which process, which metric (summed over its labels). */
export const LIVE_COUNTERS = [
  { label: 'produced', service: 'producer', metric: 'retail_producer_events_total' },
  { label: 'raw rows', service: 'sink-postgres', metric: 'retail_sink_rows_written_total' },
  { label: 'operator inputs', service: 'processors', metric: 'retail_processor_records_total' },
  { label: 'agg rows', service: 'sink-aggregates', metric: 'retail_sink_rows_written_total' },
] as const;

export interface LiveSample {
  at: number;
  values: Map<string, number | undefined>;
}

export async function sample(p: ChaosPipeline): Promise<LiveSample> {
  const values = new Map<string, number | undefined>();
  await Promise.all(
    LIVE_COUNTERS.map(async (c) => {
      const text = await p.metrics(c.service).catch(() => undefined);
      values.set(c.label, text === undefined ? undefined : counter(text, c.metric));
    }),
  );
  return { at: Date.now(), values };
}

/** Per-second rates between two samples, as text. */
export function rates(before: LiveSample, after: LiveSample): string {
  const dt = Math.max(0.001, (after.at - before.at) / 1000);
  return LIVE_COUNTERS.map((c) => {
    const a = before.values.get(c.label);
    const b = after.values.get(c.label);
    if (b === undefined) return `${c.label} down`;
    if (a === undefined || b < a) return `${c.label} restarted`;
    return `${c.label} ${Math.round((b - a) / dt)}/s`;
  }).join(', ');
}

export async function lagText(p: ChaosPipeline): Promise<string> {
  const lags = await groupLags(p.admin, p.base).catch(() => undefined);
  if (lags === undefined) return 'lag: broker not answering';
  const parts = [...lags].map(([g, l]) => `${g.slice(p.base.length + 1)} ${l.records}`);
  return `lag: ${parts.join(', ') || 'no group committed yet'}`;
}

/** Print a live line every `tickS` for `seconds`, while `during` (if any) runs; its result. */
export async function watch<T>(
  p: ChaosPipeline,
  seconds: number,
  tickS: number,
  say: (line: string) => void,
  during?: () => Promise<T>,
): Promise<T | undefined> {
  const t0 = Date.now();
  let last = await sample(p);
  let result: T | undefined;
  let failure: unknown;
  let done = during === undefined;
  const task = during?.().then(
    (r) => {
      result = r;
      done = true;
    },
    (err: unknown) => {
      failure = err;
      done = true;
    },
  );
  while (Date.now() - t0 < seconds * 1000 || !done) {
    await sleep(tickS * 1000);
    const now = await sample(p);
    const down = p
      .status()
      .filter((s) => s.state !== 'healthy')
      .map((s) => `${s.name} ${s.state}`);
    say(
      `  [${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${rates(last, now)}; ${await lagText(p)}${down.length ? `; not healthy: ${down.join(', ')}` : ''}`,
    );
    last = now;
  }
  await task;
  if (failure !== undefined) throw failure;
  return result;
}
