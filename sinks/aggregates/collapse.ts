/**
 * Within one write, only the last record of each key matters (the topics are compacted by the
 * same key): collapse a batch's rows to the latest per key, in offset order, before the upserts —
 * Postgres also refuses an INSERT … ON CONFLICT that touches one row twice.
 */
import type { AggTable } from '../../lib/contracts/aggregates/records.js';
import type { AggRow, AggSegment } from './contract.js';

export interface Collapsed {
  /** table → key → the last row of that key */
  latest: Map<AggTable, Map<string, AggRow>>;
  /** rows replaced by a later row of their key, per table */
  replaced: Map<AggTable, number>;
}

export function collapse(segments: Iterable<AggSegment>): Collapsed {
  const latest = new Map<AggTable, Map<string, AggRow>>();
  const replaced = new Map<AggTable, number>();
  for (const seg of segments) {
    for (const row of seg.rows) {
      const { table, key } = row.record;
      let m = latest.get(table);
      if (!m) {
        m = new Map();
        latest.set(table, m);
      }
      if (m.has(key)) {
        replaced.set(table, (replaced.get(table) ?? 0) + 1);
        m.delete(key); // keep insertion order = offset order of the survivors
      }
      m.set(key, row);
    }
  }
  return { latest, replaced };
}
