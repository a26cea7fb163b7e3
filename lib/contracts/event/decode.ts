/**
 * Raw Kafka record value → a validated sale event, or the dead-letter reason and detail: the one
 * decoding every consumer (sinks and processors) applies to the raw topic. Decoding is synchronous on cached
 * avsc types; the one async step — fetching a writer schema the first time its id is seen — runs
 * once per batch in `prepareBatch`. A schema id the registry does not know is a dead letter; a
 * registry that does not answer is retried by the caller (the record is fine, the registry is not).
 */
import { isEtlError } from '../../errors.js';
import type { SaleEvent } from './schema.js';
import { schemaIdOf } from './serde.js';
import type { SaleEventSerde } from './serde.js';
import { describeProblems, validateEvent } from './validate.js';
import type { ValidationOptions } from './validate.js';
import type { DlqReason } from '../dlq.js';

export type Decoded = { ok: true; event: SaleEvent } | { ok: false; reason: DlqReason; detail: string };

export class RecordDecoder {
  private readonly unknownIds = new Map<number, string>();

  constructor(
    private readonly serde: SaleEventSerde,
    private readonly validation: () => ValidationOptions,
  ) {}

  /**
   * Fetch the writer schemas of `values` not seen yet. Unknown ids are remembered (their records
   * become dead letters); a registry outage throws a retriable EtlError.
   */
  async prepareBatch(values: (Buffer | null)[]): Promise<void> {
    const ids = new Set<number>();
    for (const v of values) {
      const id = v ? schemaIdOf(v) : undefined;
      if (id !== undefined && !this.unknownIds.has(id)) ids.add(id);
    }
    for (const id of ids) {
      try {
        await this.serde.prepare(id);
      } catch (err) {
        if (isEtlError(err) && err.code === 'DECODE_FAILED' && !err.retriable) {
          this.unknownIds.set(id, err.message);
        } else {
          throw err;
        }
      }
    }
  }

  /**
   * `acceptedAt` is the record's Kafka timestamp: event times are judged against the time the record
   * was accepted, not the time it is read, so every consumer (and every replay) gives one verdict.
   */
  decode(value: Buffer | null, acceptedAt?: number): Decoded {
    if (value === null || value.length === 0)
      return { ok: false, reason: 'empty_value', detail: 'record has no value' };
    const id = schemaIdOf(value);
    if (id === undefined)
      return {
        ok: false,
        reason: 'bad_framing',
        detail: 'not Confluent Avro framing (magic byte 0 + 4-byte schema id)',
      };
    const unknown = this.unknownIds.get(id);
    if (unknown !== undefined) return { ok: false, reason: 'unknown_schema', detail: unknown };
    let event: SaleEvent;
    try {
      event = this.serde.decodeSync(value);
    } catch (err) {
      return { ok: false, reason: 'bad_avro', detail: (err as Error).message };
    }
    const options = this.validation();
    const at =
      acceptedAt !== undefined && Number.isFinite(acceptedAt) && acceptedAt > 0 ? acceptedAt : undefined;
    const v = validateEvent(event, at === undefined ? options : { ...options, now: at });
    if (!v.ok) return { ok: false, reason: 'invalid_event', detail: describeProblems(v.problems) };
    return { ok: true, event: v.event };
  }
}
