/**
 * Sales anomalies: each store's closed hour scored against that store's own history
 * (docs/anomalies.md). The operator reads no events itself: hourly hands it the store totals of
 * every hour it closes (`hourClosed`, during hourly's flush, which runs before this one in the
 * same batch), so the hour scored is exactly the hour `sales_hourly` holds as final — the same
 * window, the same allowed lateness, the same accepted events; a record late for hourly is late
 * for the anomalies too, and goes to the late topic once (as hourly's).
 *
 * The hours are walked by the watermark, not by hourly's closes: every hour from the last one
 * scored to the last one closed is scored for every store with a history, so an hour in which a
 * store (or the whole partition) sold nothing is scored as 0 — a store that stops selling is the
 * anomaly that matters most.
 *
 * State in the changelog: one key per store → its series (series.ts), written when it changed;
 * the last hour scored in the snapshot. Both move in the transaction that closed the hour and
 * emitted its anomalies, so a restore neither scores an hour twice nor skips one.
 */
import { anomalyKey } from '../../lib/contracts/anomaly/schema.js';
import type { AnomalyMetric, SalesAnomaly } from '../../lib/contracts/anomaly/schema.js';
import type { CompactEvent, Emit, ProcessorLogic, StateChange } from '../runtime/types.js';
import { HOUR, floorTo } from '../runtime/types.js';
import { confirmedByUnits, median, poissonSigma, robustScore } from './score.js';
import type { Score, ScoreOptions } from './score.js';
import { StoreSeries } from './series.js';
import type { SeriesRow, SeriesShape } from './series.js';

export interface AnomalyOptions extends ScoreOptions, SeriesShape {
  allowedLatenessMs: number;
}

/** What the operator tells its metrics about every scored store-hour and metric. */
export type AnomalyObserver = (store: string, metric: AnomalyMetric, score: Score) => void;

interface Totals {
  revenue: number;
  units: number;
}

export class AnomalyLogic implements ProcessorLogic {
  /** hour start → store → totals, handed over by hourly; consumed by the next flush. */
  private readonly closedHours = new Map<number, Map<string, Totals>>();
  private readonly stores = new Map<string, StoreSeries>();
  private lastHour: number | undefined;
  private readonly changed = new Set<string>();
  private gone: string[] = [];
  private snapshotDirty = false;
  private scoredHours = 0;

  constructor(
    private readonly topic: string,
    private readonly encode: (a: SalesAnomaly) => Buffer,
    private readonly options: AnomalyOptions,
    private readonly observe: AnomalyObserver = () => undefined,
  ) {}

  /** Hourly closed `start`: one store's totals over its SKUs (revenue in cents, exact as a bigint). */
  hourClosed(start: number, store: string, revenue: bigint, units: number): void {
    let hour = this.closedHours.get(start);
    if (!hour) this.closedHours.set(start, (hour = new Map()));
    const t = hour.get(store) ?? { revenue: 0, units: 0 };
    t.revenue += Number(revenue);
    t.units += units;
    hour.set(store, t);
  }

  /** Never late by itself: hourly decides what is late for the hour it hands over. */
  closesAt(): number {
    return Infinity;
  }

  expiresAt(): number {
    return Infinity;
  }

  add(_e: CompactEvent): void {
    // The totals come from hourly (hourClosed).
  }

  flush(watermark: number, emit: Emit): void {
    if (!Number.isFinite(watermark)) return;
    // The last hour whose window is closed: its end plus the allowed lateness is at or before the watermark.
    const last = floorTo(watermark - this.options.allowedLatenessMs - HOUR, HOUR);
    let from = this.lastHour !== undefined ? this.lastHour + HOUR : Math.min(...this.closedHours.keys());
    if (!Number.isFinite(from) || from > last) return;
    // A gap without any sale longer than the whole history (the watermark jumped) is not walked
    // hour by hour: its zeros would only fill the history. Hours hourly closed are always scored,
    // even when one batch closed more of them than the history holds.
    const span = this.options.points * this.options.seasonHours;
    const earliestClosed = Math.min(...this.closedHours.keys());
    from = Math.max(from, Math.min(last - (span - 1) * HOUR, earliestClosed));
    for (let h = from; h <= last; h += HOUR) this.scoreHour(h, emit);
    this.closedHours.clear();
    this.lastHour = last;
    this.snapshotDirty = true;
  }

  private scoreHour(start: number, emit: Emit): void {
    const totals = this.closedHours.get(start);
    const stores = new Set([...this.stores.keys(), ...(totals?.keys() ?? [])]);
    for (const store of stores) {
      let series = this.stores.get(store);
      if (!series) this.stores.set(store, (series = new StoreSeries(this.options)));
      const t = totals?.get(store) ?? { revenue: 0, units: 0 };
      // Both metrics against the counting noise of the store's usual units (score.ts); revenue
      // flagged only when units confirm it (same direction).
      const unitsHistory = series.baseline('units');
      const revenueHistory = series.baseline('revenue');
      const usualUnits = median([...unitsHistory].sort((a, b) => a - b));
      const usualRevenue = median([...revenueHistory].sort((a, b) => a - b));
      const units = robustScore(t.units, unitsHistory, this.options, poissonSigma(usualUnits));
      const rawRevenue = robustScore(
        t.revenue,
        revenueHistory,
        this.options,
        poissonSigma(usualUnits, usualRevenue),
      );
      const revenue = rawRevenue && confirmedByUnits(rawRevenue, units, this.options.threshold);
      for (const [metric, s, points] of [
        ['revenue', revenue, revenueHistory.length],
        ['units', units, unitsHistory.length],
      ] as const) {
        if (!s) continue;
        this.observe(store, metric, s);
        if (s.anomalous) emit(this.record(start, store, metric, s, points));
      }
      series.push(t.revenue, t.units);
      if (series.silent()) {
        this.stores.delete(store);
        this.changed.delete(store);
        this.gone.push(store);
      } else this.changed.add(store);
    }
    this.scoredHours++;
  }

  private record(start: number, store: string, metric: AnomalyMetric, s: Score, points: number) {
    const anomaly: SalesAnomaly = {
      store_id: store,
      window_start: start,
      window_end: start + HOUR,
      metric,
      observed: s.observed,
      expected: s.expected,
      mad: s.mad,
      score: s.score,
      direction: s.direction,
      history_points: points,
      threshold: this.options.threshold,
    };
    return { topic: this.topic, key: anomalyKey(anomaly), value: this.encode(anomaly) };
  }

  takeChanges(change: StateChange): void {
    for (const store of this.gone) change(store, null);
    this.gone = [];
    for (const store of this.changed) {
      const series = this.stores.get(store);
      if (series) change(store, JSON.stringify(series.toRow()));
    }
    this.changed.clear();
  }

  restoreEntry(key: string, value: Buffer | string): void {
    this.stores.set(key, new StoreSeries(this.options, JSON.parse(value.toString()) as SeriesRow));
  }

  restoredAt(_watermark: number): void {
    // The last hour scored comes with the snapshot.
  }

  takeSnapshot(): string | undefined {
    if (!this.snapshotDirty) return undefined;
    this.snapshotDirty = false;
    return JSON.stringify({ lastHour: this.lastHour });
  }

  restoreSnapshot(value: string): void {
    const s = JSON.parse(value) as { lastHour?: number };
    this.lastHour = s.lastHour;
  }

  openWindows(): number {
    return this.closedHours.size;
  }

  stateKeys(): number {
    return this.stores.size;
  }

  takeClosedCount(): number {
    const n = this.scoredHours;
    this.scoredHours = 0;
    return n;
  }
}
