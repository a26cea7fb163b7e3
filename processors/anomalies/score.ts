/**
 * The robust z-score of one store-hour against that store's own history (Iglewicz & Hoaglin's
 * modified z-score): `0.6745 × (observed − median) / MAD`, MAD = median of |xᵢ − median|. The median
 * and MAD are not moved by the anomalies already in the history, which a mean and a standard
 * deviation would be (one ten-fold hour in 24 doubles the standard deviation and hides the next one).
 *
 * A history whose MAD is 0 (a store that sells the same every hour, or nothing) would give an
 * infinite score for any change, so the MAD has a floor: `madFloorRatio × |median|`, and at least
 * `minMad` (one unit, one cent): a store that sold nothing for a day and then one item is not an anomaly.
 *
 * Counting noise: an hour's count of a quiet store varies like a Poisson count, σ = √count, even
 * when its few history points happen to agree (a MAD of 1 on a median of 9 units would flag 14
 * units). So the caller can give the spread the hour cannot be told apart from (`noiseSigma`, in
 * the metric's unit: `poissonSigma`), and the MAD is at least `0.6745 × noiseSigma` — the MAD of a
 * normal variable of that σ: the score is never larger than the deviation in Poisson σ.
 */

/** 0.6745 = the 75th percentile of the standard normal: makes the MAD estimate σ for normal data. */
export const MAD_TO_SIGMA = 0.6745;

export interface ScoreOptions {
  /** |score| at or above this flags the hour (3.5 in Iglewicz & Hoaglin). */
  threshold: number;
  /** Fewer history points than this: the hour is not scored. */
  minHistory: number;
  /** The MAD is at least this share of |median|. */
  madFloorRatio: number;
  /** …and at least this (in the metric's unit). */
  minMad?: number;
}

export type Direction = 'up' | 'down';

export interface Score {
  observed: number;
  /** The history's median. */
  expected: number;
  mad: number;
  score: number;
  direction: Direction;
  anomalous: boolean;
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The counting noise of an hour whose usual count is `medianCount` (σ = √count, Poisson), in the
 * unit of a quantity whose usual value is `medianValue` (the count itself for units; revenue:
 * the same relative noise, `medianValue / √medianCount`). 0 when there is no count to go by.
 */
export function poissonSigma(medianCount: number, medianValue = medianCount): number {
  if (!(medianCount > 0)) return 0;
  return Math.abs(medianValue) / Math.sqrt(medianCount);
}

/**
 * A revenue deviation counts only when units deviate the same way by at least this share of the
 * threshold: a revenue spike with the usual units is a dearer basket mix, not more (or fewer) sales.
 */
export const CONFIRM_SHARE = 0.5;

/** `revenue` stays flagged only if `units` deviates in the same direction (CONFIRM_SHARE of the threshold). */
export function confirmedByUnits(revenue: Score, units: Score | undefined, threshold: number): Score {
  if (!revenue.anomalous) return revenue;
  const confirmed =
    units !== undefined &&
    units.direction === revenue.direction &&
    Math.abs(units.score) >= CONFIRM_SHARE * threshold;
  return confirmed ? revenue : { ...revenue, anomalous: false };
}

/**
 * Undefined when the history is shorter than `minHistory` (not scored). `noiseSigma`: the
 * counting noise of the hour (poissonSigma); the MAD is at least its normal-equivalent.
 */
export function robustScore(
  observed: number,
  history: readonly number[],
  o: ScoreOptions,
  noiseSigma = 0,
): Score | undefined {
  if (history.length < Math.max(1, o.minHistory)) return undefined;
  const expected = median([...history].sort((a, b) => a - b));
  const deviations = history.map((x) => Math.abs(x - expected)).sort((a, b) => a - b);
  const mad = Math.max(
    median(deviations),
    o.madFloorRatio * Math.abs(expected),
    MAD_TO_SIGMA * noiseSigma,
    o.minMad ?? 1,
  );
  const score = (MAD_TO_SIGMA * (observed - expected)) / mad;
  return {
    observed,
    expected,
    mad,
    score,
    direction: score >= 0 ? 'up' : 'down',
    anomalous: Math.abs(score) >= o.threshold,
  };
}
