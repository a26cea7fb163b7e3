/**
 * Precision and recall of the anomalies operator on generated data with known injected anomalies:
 * the real generator (producer/generator.ts, seeded, on a simulated clock) runs for `days`, and
 * `injections` store-hours after the first `warmupDays` are multiplied by a factor through the
 * generator's own injection (producer/anomaly.ts); the events go through the real task runtime
 * with hourly and the anomalies operator (processors/definitions.ts createOperators), and every
 * flagged store-hour (revenue or units) is compared with the injected ones. No Kafka: the operator's
 * decisions do not depend on it (the integration test covers the pipeline).
 */
import { createOperators } from '../../processors/definitions.js';
import { processorConfig } from '../../processors/runtime/config.js';
import type { ProcessorConfig } from '../../processors/runtime/config.js';
import { compactEvent } from '../../processors/runtime/decode.js';
import { TaskState } from '../../processors/runtime/task.js';
import type { TaskRecord } from '../../processors/runtime/task.js';
import type { SalesAnomaly } from '../../lib/contracts/anomaly/schema.js';
import { SaleGenerator } from '../../producer/generator.js';
import type { AnomalyInjection } from '../../producer/anomaly.js';
import { seededRandom } from './random.js';

const HOUR = 3_600_000;

export interface QualityRun {
  seed: number;
  days: number;
  warmupDays: number;
  stores: number;
  /** Baskets the generator draws per simulated hour (≈ 2.4 events each, dropped ones included). */
  basketsPerHour: number;
  injections: number;
  /** Each injection's factor is drawn from these. */
  factors: number[];
  /** Processor options (the anomaly* keys). */
  options: Record<string, number>;
}

export interface Quality {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** Recall per injected factor. */
  recallByFactor: Map<number, { found: number; injected: number }>;
  scoredStoreHours: number;
  events: number;
}

/**
 * One task of hourly feeding the anomalies operator, as `processor all` runs them, outside Kafka:
 * each anomaly record goes to `onFlag`, each scored store-hour metric to `onScore`.
 */
export function anomalyTask(
  cfg: ProcessorConfig,
  onFlag: (a: SalesAnomaly) => void,
  onScore: () => void = () => undefined,
): TaskState {
  return new TaskState(
    createOperators(['hourly', 'anomalies'], cfg, {
      partition: 0,
      partialsTopic: 'unused',
      mergePartitions: 1,
      anomalies: {
        encode: (a) => {
          onFlag(a);
          return Buffer.alloc(0);
        },
        observe: () => onScore(),
      },
    }),
    { partitions: [0], outOfOrderMs: cfg.outOfOrderMs, dedupHorizonMs: cfg.dedupHorizonMs },
  );
}

export function measureQuality(run: QualityRun): Quality {
  const t0 = Date.UTC(2025, 0, 6, 0, 0, 0); // a Monday
  const rnd = seededRandom(run.seed);
  let pulled = 0; // events
  // The clock advances per basket, not per event: the generator reads it once per basket it
  // draws (producer/generator.ts), dropped ones included — so an hour holds whole baskets, a
  // silenced store's hour passes as fast as any other, and a basket's lines are never counted
  // as the next hour's time.
  let baskets = 0;
  const step = HOUR / run.basketsPerHour;
  const at = () => t0 + Math.floor(baskets * step);
  const clock = () => {
    const t = at();
    baskets++;
    return t;
  };
  const gen = new SaleGenerator({ seed: run.seed, stores: run.stores }, clock);
  const storeIds = gen.catalogue.stores.map((s) => s.id);
  const totalHours = run.days * 24;
  const warmup = run.warmupDays * 24;
  // Distinct injected hours, so that one injection is active at a time.
  const hours = new Set<number>();
  while (hours.size < run.injections) hours.add(warmup + Math.floor(rnd() * (totalHours - warmup - 2)));
  const injected: AnomalyInjection[] = [...hours]
    .sort((a, b) => a - b)
    .map((h) => ({
      store: storeIds[Math.floor(rnd() * storeIds.length)] as string,
      factor: run.factors[Math.floor(rnd() * run.factors.length)] as number,
      from: t0 + h * HOUR,
      until: t0 + (h + 1) * HOUR,
    }));
  const cfg = processorConfig({ ...run.options, metricsPort: 0 }, {});
  const flagged: SalesAnomaly[] = [];
  let scored = 0;
  const task = anomalyTask(
    cfg,
    (a) => flagged.push(a),
    () => scored++,
  );
  const end = t0 + totalHours * HOUR + 2 * HOUR; // an extra hour so that the last one closes
  let next = 0;
  let offset = 0;
  let batch: TaskRecord[] = [];
  while (at() < end) {
    // The time of the next basket drawn (a line of a basket already drawn keeps its basket's time).
    const now = at();
    while (next < injected.length && (injected[next] as AnomalyInjection).until <= now) next++;
    const current = injected[next];
    gen.inject(current && current.from <= now ? current : undefined);
    const { event: e } = gen.next();
    pulled++;
    batch.push({ offset: offset++, event: compactEvent(e) });
    if (batch.length === 2_000) {
      task.processBatch(0, batch, offset - 1);
      batch = [];
    }
  }
  if (batch.length > 0) task.processBatch(0, batch, offset - 1);

  const truth = new Set(injected.map((i) => `${i.store}|${i.from}`));
  const found = new Set(flagged.map((a) => `${a.store_id}|${a.window_start}`));
  let tp = 0;
  for (const f of found) if (truth.has(f)) tp++;
  const recallByFactor = new Map<number, { found: number; injected: number }>();
  for (const i of injected) {
    const r = recallByFactor.get(i.factor) ?? { found: 0, injected: 0 };
    r.injected++;
    if (found.has(`${i.store}|${i.from}`)) r.found++;
    recallByFactor.set(i.factor, r);
  }
  return {
    truePositives: tp,
    falsePositives: found.size - tp,
    falseNegatives: truth.size - tp,
    precision: found.size === 0 ? NaN : tp / found.size,
    recall: tp / truth.size,
    recallByFactor,
    scoredStoreHours: scored / 2, // observed once per metric
    events: pulled,
  };
}
