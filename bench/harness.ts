/**
 * The benchmark contract. Each `bench/<name>.bench.ts` default-exports a Benchmark; `make bench`
 * (bench/run.ts) runs them one after another against the running stack, prints a table and
 * writes BENCHMARKS.md and bench/results.json. A figure that has a ceiling measured in the same
 * run (psql \copy, Kafka's ProducerPerformance…) carries it and the ratio. Slowness is reported,
 * never asserted.
 */
export interface Figure {
  /** Stable id, e.g. `producer.events_per_s`. */
  name: string;
  value: number;
  unit: string;
  /** The reference measured in the same run, in the same unit. */
  ceiling?: number;
  ceilingName?: string;
  /** value / ceiling, filled in by the runner when a ceiling is given. */
  ratio?: number;
  /** The figure this benchmark must reach, for the table (e.g. `≥ 0.5× ceiling`). */
  target?: string;
  p50?: number;
  p95?: number;
  p99?: number;
  notes?: string;
}

export interface BenchContext {
  /** The running stack's environment (.stack/env). */
  env: Record<string, string>;
  log(message: string): void;
  /** BENCH_QUICK=1 shrinks sizes for a smoke run. */
  quick: boolean;
}

export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
