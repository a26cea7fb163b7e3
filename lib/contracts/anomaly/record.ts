/**
 * An anomaly record → the aggregate sink's record for `sales_anomalies`: the key is the table's key,
 * the decoded value must agree with it; a tombstone deletes by the key. Anything else is a dead
 * letter with a one-line reason, like the JSON aggregate records (aggregates/records.ts).
 */
import type { AggRecord, Parsed } from '../aggregates/records.js';
import { parseAnomalyKey } from './schema.js';
import type { SalesAnomaly } from './schema.js';

export function anomalyRecord(keyBuf: Buffer | null, value: SalesAnomaly | null): Parsed {
  const key = keyBuf?.toString('utf8') ?? '';
  const id = parseAnomalyKey(key);
  if (!id)
    return { ok: false, detail: `sales_anomalies: key "${key}" is not <window_start>|<store_id>|<metric>` };
  if (value !== null) {
    for (const field of ['store_id', 'window_start', 'metric'] as const)
      if (value[field] !== id[field])
        return {
          ok: false,
          detail: `sales_anomalies: ${field} ${JSON.stringify(value[field])} disagrees with the key (${JSON.stringify(id[field])})`,
        };
  }
  const record: AggRecord = { table: 'sales_anomalies', key, id, row: value };
  return { ok: true, record };
}
