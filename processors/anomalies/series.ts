/**
 * A store's recent hourly totals, one point per closed hour (0 for an hour without sales), oldest
 * first, the last being the last hour scored. The baseline of the next hour is every
 * `seasonHours`-th point back from it, at most `points` of them: with `seasonHours` 1 the last
 * `points` hours, with 24 the same hour of the last `points` days, with 168 the same hour of the
 * week. So the series keeps `points × seasonHours` values per metric.
 */
import type { AnomalyMetric } from '../../lib/contracts/anomaly/schema.js';

export interface SeriesShape {
  points: number;
  seasonHours: number;
}

/** Changelog value: `[revenue[], units[]]`, oldest first, ending at the task's last scored hour. */
export type SeriesRow = [number[], number[]];

export class StoreSeries {
  private readonly values: Record<AnomalyMetric, number[]>;

  constructor(
    private readonly shape: SeriesShape,
    row: SeriesRow = [[], []],
  ) {
    this.values = { revenue: row[0], units: row[1] };
  }

  private get capacity(): number {
    return this.shape.points * this.shape.seasonHours;
  }

  /** The points the next hour is compared with (same season slot), most recent first. */
  baseline(metric: AnomalyMetric): number[] {
    const v = this.values[metric];
    const out: number[] = [];
    for (
      let i = v.length - this.shape.seasonHours;
      i >= 0 && out.length < this.shape.points;
      i -= this.shape.seasonHours
    )
      out.push(v[i] as number);
    return out;
  }

  push(revenue: number, units: number): void {
    for (const [metric, x] of [
      ['revenue', revenue],
      ['units', units],
    ] as const) {
      const v = this.values[metric];
      v.push(x);
      if (v.length > this.capacity) v.splice(0, v.length - this.capacity);
    }
  }

  /** Full of zeros: the store has not sold for the whole history, so it is forgotten. */
  silent(): boolean {
    const v = this.values.units;
    return v.length >= this.capacity && v.every((x) => x === 0) && this.values.revenue.every((x) => x === 0);
  }

  toRow(): SeriesRow {
    return [this.values.revenue, this.values.units];
  }
}
