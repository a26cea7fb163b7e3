/**
 * Idempotent raw tables (docs/sinks.md#one-row-per-event_id): each event_id is stored once; the
 * first write wins. A later record with the same id is a duplicate — an exact re-send (same stored
 * content) is dropped and counted, a different content is a conflicting duplicate and becomes a
 * dead letter. What "stored" means (a claimed id) is each target's business; this module holds
 * what both raw sinks share: the batch's first occurrences, the content comparison, the verdicts.
 */
import type { DeadLetter } from '../../lib/contracts/dlq.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import type { Segment, SinkRow } from '../core/contract.js';

/** The event fields `sales_raw` stores: the content two records of one id are compared on. */
export const STORED_FIELDS = [
  'event_id',
  'event_time',
  'store_id',
  'sku',
  'quantity',
  'unit_price_cents',
  'currency',
  'channel',
  'payment_type',
  'customer_id',
  'basket_id',
] as const satisfies readonly (keyof SaleEvent)[];

export type StoredContent = Pick<SaleEvent, (typeof STORED_FIELDS)[number]>;

/** The dedup key of an event id: UUIDs are case-insensitive, and both tables store them as UUIDs. */
export const idKey = (eventId: string) => eventId.toLowerCase();

const shown = (c: StoredContent, f: (typeof STORED_FIELDS)[number]) =>
  f === 'event_id' ? idKey(c.event_id) : String(c[f]);

/** The fields in which two contents differ (empty: an exact re-send). */
export function differingFields(a: StoredContent, b: StoredContent): string[] {
  return STORED_FIELDS.filter((f) => shown(a, f) !== shown(b, f));
}

/** Where a row was read from, for verdict details. */
export const at = (topic: string, partition: number, offset: number) => `${topic}[${partition}]@${offset}`;

/** The first write of an id, as the target reports it. */
export interface StoredFirst {
  content: StoredContent;
  /** `topic[partition]@offset` of the record that wrote it. */
  where: string;
}

export interface DedupVerdicts {
  /** Rows to store, per segment (same order as the batch's segments). */
  keep: SinkRow[][];
  identical: number;
  conflicting: DeadLetter[];
}

/**
 * The batch's first occurrence of every event id (by idKey), in segment order (Kafka order within
 * a partition): the candidates a target checks against what it already stores.
 */
export function firstOccurrences(segments: readonly Segment[]): Map<string, { topic: string; row: SinkRow }> {
  const firsts = new Map<string, { topic: string; row: SinkRow }>();
  for (const seg of segments)
    for (const row of seg.rows) {
      const id = idKey(row.event.event_id);
      if (!firsts.has(id)) firsts.set(id, { topic: seg.topic, row });
    }
  return firsts;
}

/**
 * Decide every row of the batch: `stored` holds the ids (idKey) the target already had before this
 * batch (with their first write); every other id is written by its first occurrence in the batch.
 */
export function verdicts(
  segments: readonly Segment[],
  stored: ReadonlyMap<string, StoredFirst | undefined>,
  sink: string,
): DedupVerdicts {
  const written = new Map<string, StoredFirst | undefined>(stored);
  const out: DedupVerdicts = { keep: [], identical: 0, conflicting: [] };
  for (const seg of segments) {
    const keep: SinkRow[] = [];
    for (const row of seg.rows) {
      const id = idKey(row.event.event_id);
      if (!written.has(id)) {
        written.set(id, { content: row.event, where: at(seg.topic, seg.partition, row.offset) });
        keep.push(row);
        continue;
      }
      // An id claimed but whose first row is gone (retention removed it before the claim was
      // pruned) cannot be compared: it is old and already counted once; drop it as identical.
      const first = written.get(id);
      const fields = first ? differingFields(first.content, row.event) : [];
      if (fields.length === 0) {
        out.identical++;
        continue;
      }
      out.conflicting.push(conflictLetter(seg.topic, row, first as StoredFirst, fields, sink));
    }
    out.keep.push(keep);
  }
  return out;
}

function conflictLetter(
  topic: string,
  row: SinkRow,
  first: StoredFirst,
  fields: string[],
  sink: string,
): DeadLetter {
  return {
    topic,
    partition: row.partition,
    offset: row.offset,
    timestamp: row.kafkaTimestamp,
    key: row.record?.key ?? null,
    value: row.record?.value ?? null,
    headers: row.record?.headers ?? {},
    reason: 'conflicting_duplicate',
    detail:
      `event_id ${row.event.event_id} is already stored in ${sink} from ${first.where}; ` +
      `this record differs in ${fields.join(', ')} (the first write wins)`,
  };
}
