/**
 * Quality of the anomalies operator (docs/anomalies.md): precision and recall on generated data
 * with known injected anomalies (bench/lib/anomaly-quality.ts), for the last 24 hours (the former
 * defaults) and for a daily season (the same hour of the last 7 days, the defaults), with the
 * default MAD floor and a wider one. Reported, never
 * asserted: the numbers depend on the generator's rhythm and on the chosen thresholds.
 */
import type { Benchmark, Figure } from './harness.js';
import { measureQuality } from './lib/anomaly-quality.js';

const CONFIGS: { label: string; options: Record<string, number> }[] = [
  // The defaults until 2026-12-03, kept for comparison.
  { label: 'last 24 h', options: { anomalySeasonHours: 1, anomalyHistoryPoints: 24, anomalyMinHistory: 12 } },
  // The defaults.
  {
    label: 'same hour, last 7 days',
    options: { anomalySeasonHours: 24, anomalyHistoryPoints: 7, anomalyMinHistory: 5 },
  },
  {
    label: 'same hour, last 7 days, MAD floor 15 %',
    options: {
      anomalySeasonHours: 24,
      anomalyHistoryPoints: 7,
      anomalyMinHistory: 5,
      anomalyMadFloorRatio: 0.15,
    },
  },
];

const bench: Benchmark = {
  name: 'anomalies',
  title: 'Sales anomalies: precision and recall on generated data with injected anomalies',
  run(ctx) {
    const figures: Figure[] = [];
    for (const { label, options } of CONFIGS) {
      const q = measureQuality({
        seed: 11,
        days: ctx.quick ? 10 : 21,
        warmupDays: 8,
        stores: 10,
        basketsPerHour: 800, // ≈ 1,900 events an hour
        injections: ctx.quick ? 20 : 60,
        factors: [0, 0.3, 3, 5],
        options,
      });
      const byFactor = [...q.recallByFactor]
        .sort((a, b) => a[0] - b[0])
        .map(([f, r]) => `×${f}: ${r.found}/${r.injected}`)
        .join(', ');
      const key = label.replace(/[^a-z0-9]+/g, '_');
      ctx.log(`${label}: precision ${q.precision.toFixed(2)}, recall ${q.recall.toFixed(2)} (${byFactor})`);
      figures.push(
        {
          name: `anomalies.${key}.precision`,
          value: q.precision,
          unit: 'ratio',
          notes: `${label}: ${q.truePositives} true and ${q.falsePositives} false positives over ${q.scoredStoreHours} scored store-hours (${q.events} events)`,
        },
        {
          name: `anomalies.${key}.recall`,
          value: q.recall,
          unit: 'ratio',
          notes: `${label}: ${q.falseNegatives} injected store-hours missed; by factor ${byFactor}`,
        },
      );
    }
    return Promise.resolve(figures);
  },
};

export default bench;
