/**
 * `make demo`, step by step: a pipeline of its own beside the stack (chaos/pipeline.ts), its rate
 * raised, two of its processes killed with -9 and healed by its supervisor, a poison, a late and a
 * duplicated event sent, then — producer paused, every group drained — the proof (proof.ts)
 * against an independent read of the raw topic. Narration and live lines go through `say`; the
 * pipeline is removed at the end whatever happens, so the stack is left as it was found.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { environment } from '../../../lib/config/index.js';
import { processorConfig } from '../../../processors/runtime/config.js';
import { readDlq } from '../../../sinks/core/dlq/reader.js';
import type { StackContext } from '../../../stack/component.js';
import { isAlive } from '../../../stack/process.js';
import { startChaosPipeline } from '../chaos/pipeline.js';
import type { ChaosPipeline } from '../chaos/pipeline.js';
import { checkAggregateTables, checkIngest, checkLate, checkRawRows } from '../chaos/reconcile.js';
import { loadReference } from '../chaos/reference.js';
import { drainGroups } from '../chaos/run.js';
import { lateIdsByProcessor } from '../late-reader.js';
import type { AnomalyShown } from './anomaly.js';
import { anomalyPlan, awaitAnomaly, formatAnomaly, writeAnomalyHistory } from './anomaly.js';
import type { Position } from './inject.js';
import { sendDuplicate, sendLate, sendPoison } from './inject.js';
import { watch } from './live.js';
import { DASHBOARDS, formatProof, STEPS } from './narration.js';
import type { DemoProof } from './proof.js';
import { dlqCheck, proofFailures, totalsAndFates } from './proof.js';

export const KILL_TARGETS = ['sink-postgres', 'processors'] as const;

export interface DemoOptions {
  rate: number;
  peakRate: number;
  stepS: number;
  tickS: number;
  drainS: number;
  /** How long step 2 waits at most for the injected anomaly's row and counter (120 s). */
  anomalyS?: number;
  portBase?: number | undefined;
  /** Narration, live lines and the proof (stdout in `make demo`). */
  say(text: string): void;
  /** Supervisor chatter and details (stderr in `make demo`). */
  log(text: string): void;
  /** Given the pipeline's removal once it runs (`make demo` calls it on Ctrl-C). */
  onCleanup?: (remove: () => Promise<void>) => void;
}

export interface DemoReport {
  base: string;
  proof: DemoProof;
  failures: string[];
  /** The injected anomaly as the demo found it: its rows in sales_anomalies and the processors' counter. */
  anomaly: AnomalyShown;
  /** Seconds from the kill until each target was healthy again with a new PID. */
  recoveries: { target: string; seconds: number | undefined }[];
  /** Topics and schema of the demo pipeline still there after it was removed (should be none). */
  leftBehind: string[];
  ok: boolean;
}

async function killAndHeal(p: ChaosPipeline, say: (t: string) => void) {
  const killedAt = Date.now();
  const old = new Map<string, number>();
  for (const t of KILL_TARGETS) {
    const pid = p.pid(t);
    if (pid === undefined || !isAlive(pid)) throw new Error(`${t} is not running: nothing to kill`);
    process.kill(pid, 'SIGKILL');
    old.set(t, pid);
    say(`  kill -9 ${t} (pid ${pid})`);
  }
  return async () => {
    const out: { target: string; seconds: number | undefined }[] = [];
    for (const t of KILL_TARGETS) {
      let seconds: number | undefined;
      while (Date.now() - killedAt < 180_000) {
        const pid = p.pid(t);
        const healthy = p.status().find((s) => s.name === t)?.state === 'healthy';
        if (pid !== undefined && pid !== old.get(t) && healthy) {
          seconds = (Date.now() - killedAt) / 1000;
          break;
        }
        await sleep(250);
      }
      say(
        `  ${t}: ${seconds === undefined ? 'NOT back within 180 s' : `restarted by the supervisor, healthy again ${seconds.toFixed(1)} s after the kill`}`,
      );
      out.push({ target: t, seconds });
    }
    return out;
  };
}

export async function runDemo(
  ctx: StackContext,
  stackEnv: Record<string, string>,
  o: DemoOptions,
): Promise<DemoReport> {
  const say = (t: string) => o.say(t);
  const token = stackEnv['RETAIL_TOKEN_INGEST'] ?? '';
  say(STEPS.start(o.rate));
  const processorOptions = processorConfig({}, { ...environment(), ...stackEnv });
  const plan = anomalyPlan(processorOptions, Date.now());
  const p = await startChaosPipeline(ctx, stackEnv, o.log, o.portBase, 'demo', {
    // First in the raw topic: the anomaly's history is read before any live event (anomaly.ts).
    beforeStart: ({ kafka, topics }) =>
      writeAnomalyHistory(kafka, topics.sales, stackEnv['SCHEMA_REGISTRY_URL'], plan),
  });
  let leftBehind: string[] = [];
  let removed = false;
  o.onCleanup?.(() => p.remove());
  try {
    say(`  pipeline ${p.base} ready: ${p.services.map((s) => `${s} :${p.ports.get(s)}`).join(', ')}`);
    await p.setRate(o.rate);
    await watch(p, o.stepS, o.tickS, say);

    say(`\n${STEPS.anomaly(plan.store, plan.factor, plan.historyHours, plan.hour)}`);
    const anomaly = await withDb(stackEnv, (db) =>
      awaitAnomaly(db, p.schema, plan, () => p.metrics('processors'), o.anomalyS ?? 120),
    );
    say(formatAnomaly(anomaly));

    say(`\n${STEPS.raise(o.peakRate)}`);
    await p.setRate(o.peakRate);
    await watch(p, o.stepS, o.tickS, say);

    say(`\n${STEPS.kill([...KILL_TARGETS])}`);
    const healed = await killAndHeal(p, say);
    const recoveries = (await watch(p, o.stepS, o.tickS, say, healed)) ?? [];

    say(`\n${STEPS.inject}`);
    const serve = p.ports.get('serve') ?? 0;
    const poison: Position = await sendPoison(p.kafka, p.topics.sales);
    say(`  poison record written at partition ${poison.partition}, offset ${poison.offset}`);
    const late = await sendLate(serve, token);
    say(
      `  late event ${late.event_id} (event time ${new Date(late.event_time).toISOString()}) accepted: 202`,
    );
    const dup = await sendDuplicate(serve, token);
    say(`  the same request (events ${dup.map((e) => e.event_id).join(', ')}) accepted twice: 202, 202`);
    await watch(p, Math.max(o.tickS, Math.round(o.stepS / 2)), o.tickS, say);

    say(`\n${STEPS.drain}`);
    await p.pause();
    const drained = await drainGroups(p, o.drainS, o.log);
    say(`  every group caught up ${drained.toFixed(1)} s after the pause`);

    say(`\n${STEPS.proof}`);
    const db = new pg.Client({ connectionString: stackEnv['DATABASE_URL'] });
    await db.connect();
    let proof: DemoProof;
    try {
      const registry = stackEnv['SCHEMA_REGISTRY_URL'];
      await loadReference(p.kafka, db, p.topics.sales, registry);
      const dlq = await readDlq(p.kafka, p.topics.dlq);
      const lateIds = await lateIdsByProcessor(p.kafka, p.topics.late, registry);
      const topN = processorOptions.topN;
      const stores = [
        // The duplicate is acknowledged twice on purpose: checked on its own below.
        await checkIngest(db, [late.event_id]),
        await checkRawRows(
          db,
          p.schema,
          dlq.filter((d) => d.source.topic === p.topics.sales).map((d) => d.source),
        ),
        ...(await checkAggregateTables(db, p.schema, lateIds, topN)),
        await checkLate(db, lateIds),
        dlqCheck(dlq, p.topics.sales, [poison]),
      ];
      const f = await totalsAndFates(db, p.schema, dup[0]?.event_id ?? '', late.event_id);
      const at = (e: (typeof dlq)[number]) =>
        e.source.partition === poison.partition && e.source.offset === poison.offset;
      proof = {
        topic: f.topic,
        salesRaw: f.salesRaw,
        hourly: f.hourly,
        stores,
        duplicate: { eventId: dup[0]?.event_id ?? '', inTopic: f.dupInTopic, inSalesRaw: f.dupRows },
        late: {
          eventId: late.event_id,
          processors: [...lateIds].filter(([, ids]) => ids.includes(late.event_id)).map(([k]) => k),
          inSalesRaw: f.lateRows,
        },
        poison: [
          {
            position: poison,
            reasons: [...new Set(dlq.filter(at).map((e) => e.reason))],
            stages: [...new Set(dlq.filter(at).flatMap((e) => e.sinks))],
          },
        ],
      };
    } finally {
      await db.end().catch(() => undefined);
    }
    const failures = proofFailures(proof);
    failures.push(
      ...recoveries.filter((r) => r.seconds === undefined).map((r) => `${r.target} did not come back`),
    );
    if (!anomaly.rows.some((r) => r.metric === 'units' && r.direction === 'up'))
      failures.push(`the ×${plan.factor} hour of ${plan.store} is not in sales_anomalies`);
    if (anomaly.counter < 1) failures.push(`the processors did not count the anomaly of ${plan.store}`);
    say(formatProof(proof, failures));
    say(`\n${DASHBOARDS}`);
    removed = true;
    await p.remove();
    leftBehind = await remains(p, stackEnv);
    say(
      `\nThe demo pipeline is removed (topics, groups, schema, processes)${leftBehind.length ? `, EXCEPT ${leftBehind.join(', ')}` : ''}; the stack is as it was.`,
    );
    return {
      base: p.base,
      proof,
      anomaly,
      failures,
      recoveries,
      leftBehind,
      ok: failures.length === 0 && leftBehind.length === 0,
    };
  } finally {
    if (!removed) await p.remove().catch(() => undefined);
  }
}

/** The demo pipeline's topics and schema still present (after remove: should be none). */
async function remains(p: ChaosPipeline, stackEnv: Record<string, string>): Promise<string[]> {
  const admin = p.kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(p.base));
  await admin.disconnect().catch(() => undefined);
  const db = new pg.Client({ connectionString: stackEnv['DATABASE_URL'] });
  await db.connect();
  try {
    const r = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [p.schema]);
    return [...topics, ...(r.rowCount ? [`schema ${p.schema}`] : [])];
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** `--fast` (the end-to-end test): short steps at low rates; the ports and drain limit are kept. */
export function fastOptions(c: {
  rate: number;
  peakRate: number;
  stepS: number;
  tickS: number;
  drainS: number;
  portBase?: number | undefined;
}): Omit<DemoOptions, 'say' | 'log'> {
  return {
    rate: Math.min(c.rate, 100),
    peakRate: Math.min(c.peakRate, 400),
    stepS: Math.min(c.stepS, 6),
    tickS: Math.min(c.tickS, 2),
    drainS: c.drainS,
    portBase: c.portBase,
  };
}

async function withDb<T>(stackEnv: Record<string, string>, f: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: stackEnv['DATABASE_URL'] });
  await db.connect();
  try {
    return await f(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}
