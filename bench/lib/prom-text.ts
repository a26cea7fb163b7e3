/**
 * Reading a process's /metrics directly (no Prometheus in between): histogram buckets and
 * counters with a label filter, and quantiles from bucket deltas the way histogram_quantile does.
 */
import { waitUntil } from '../../stack/wait.js';

export interface Buckets {
  /** upper bound → cumulative count */
  le: Map<number, number>;
  count: number;
}

function labelsMatch(labelText: string, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([k, v]) => labelText.includes(`${k}="${v}"`));
}

export async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

export function histogram(text: string, name: string, filter: Record<string, string> = {}): Buckets {
  const le = new Map<number, number>();
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const labels = line.slice(line.indexOf('{'), line.indexOf('}') + 1);
      if (!labelsMatch(labels, filter)) continue;
      const bound = /le="([^"]+)"/.exec(labels)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      const key = bound === '+Inf' ? Infinity : Number(bound);
      le.set(key, (le.get(key) ?? 0) + value);
    } else if (line.startsWith(`${name}_count`)) {
      const labels = line.includes('{') ? line.slice(line.indexOf('{'), line.indexOf('}') + 1) : '';
      if (labelsMatch(labels, filter)) count += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return { le, count };
}

export function counter(text: string, name: string, filter: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels = rest[0] === '{' ? rest.slice(0, rest.indexOf('}') + 1) : '';
    if (labelsMatch(labels, filter)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export function delta(after: Buckets, before: Buckets): Buckets {
  const le = new Map<number, number>();
  for (const [bound, value] of after.le) le.set(bound, value - (before.le.get(bound) ?? 0));
  return { le, count: after.count - before.count };
}

/** Linear interpolation inside the bucket, as Prometheus' histogram_quantile. */
export function quantile(b: Buckets, q: number): number {
  const bounds = [...b.le.keys()].sort((x, y) => x - y);
  const total = b.le.get(Infinity) ?? b.count;
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const bound of bounds) {
    const cum = b.le.get(bound) ?? 0;
    if (cum >= rank) {
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(1, cum - prevCount);
    }
    prevBound = bound;
    prevCount = cum;
  }
  return prevBound;
}

/** Share of observations at or below `bound` (must be a bucket bound). */
export function shareAtOrBelow(b: Buckets, bound: number): number {
  const total = b.le.get(Infinity) ?? b.count;
  return total > 0 ? (b.le.get(bound) ?? 0) / total : NaN;
}

/**
 * Wait until a process's `retail_sink_rows_written_total` reaches `rows` (or `timeoutMs` passes);
 * returns the rows written by then.
 */
export async function waitForRowsWritten(port: number, rows: number, timeoutMs: number): Promise<number> {
  const written = async () => counter(await scrape(port), 'retail_sink_rows_written_total');
  await waitUntil(async () => (await written()) >= rows, { timeoutMs, intervalMs: 200 });
  return written();
}
