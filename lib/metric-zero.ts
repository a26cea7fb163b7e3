/**
 * Series that exist from the start: a counter or gauge with labels has no series until its first
 * `inc`/`set`, so a fresh stack shows "No data" where 0 is the truth (no DLQ record yet, no error,
 * no partition dropped). Each component calls `zeroSeries` for the label sets it knows when it
 * starts (DLQ reasons, outcomes, its sink or processor names…); prom-client exports metrics
 * without labels at 0 by itself.
 */
import { Histogram } from 'prom-client';
import type { Counter, Gauge } from 'prom-client';

type LabelSet<L extends string> = Partial<Record<L, string | number>>;

/** Every combination of the given label values: `{a: ['1','2'], b: ['x']}` → `[{a:'1',b:'x'}, {a:'2',b:'x'}]`. */
export function labelProduct<L extends string>(
  values: Record<L, readonly (string | number)[]>,
): LabelSet<L>[] {
  let sets: LabelSet<L>[] = [{}];
  for (const name of Object.keys(values) as L[]) {
    sets = sets.flatMap((set) => values[name].map((v) => ({ ...set, [name]: v })));
  }
  return sets;
}

/**
 * Create each label set's series at 0 without touching one that already has a value (a counter or
 * gauge is incremented by 0). A histogram's series is zeroed: call it before the first observation.
 */
export function zeroSeries<L extends string>(
  metric: Counter<L> | Gauge<L> | Histogram<L>,
  sets: readonly LabelSet<L>[],
): void {
  for (const labels of sets) {
    if (metric instanceof Histogram) metric.zero(labels);
    else metric.inc(labels, 0);
  }
}
