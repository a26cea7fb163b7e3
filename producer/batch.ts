/**
 * Record building: pull events from the generator, validate them (optional), encode them with
 * Avro (Confluent framing) and count what a batch holds, so the send loop only paces and sends.
 */
import type { Message } from '../lib/kafka/index.js';
import { describeProblems, validateEvent } from '../lib/contracts/event/validate.js';
import type { Logger } from '../lib/logger.js';
import { sharedSetting } from '../lib/config/shared.js';
import type { ProducerConfig } from './config.js';
import type { GeneratedEvent } from './generator.js';
import { SaleGenerator } from './generator.js';
import type { AnomalyInjection } from './anomaly.js';
import type { ProducerMetrics } from './metrics.js';

export interface Batch {
  messages: Message[];
  /** Encoded value bytes (before compression). */
  bytes: number;
  dups: number;
  late: number;
  returns: number;
}

export interface EventSource {
  next(): GeneratedEvent;
  /** Multiply one store's sales for a window (producer/anomaly.ts); undefined stops it. */
  inject?(injection: AnomalyInjection | undefined): void;
}

/**
 * The generator a producer with this config runs. With `startTime`, the clock is simulated
 * (start + events pulled × 1000 / rate), so the whole sequence is a function of the config: a test
 * can regenerate exactly what a producer sent.
 */
export function createGenerator(config: ProducerConfig): Required<EventSource> {
  let pulled = 0;
  const start = config.startTime;
  const clock = start === undefined ? Date.now : () => start + (pulled * 1000) / config.rate;
  const generator = new SaleGenerator(
    {
      seed: config.seed,
      stores: config.stores,
      skus: config.skus,
      zipfExponent: config.zipfExponent,
      returnShare: config.returnShare,
      duplicateShare: config.duplicateShare,
      lateShare: config.lateShare,
      lateDistribution: config.lateDistribution,
      lateMeanMs: config.lateMeanMs,
      lateMaxMs: config.lateMaxMs,
      promoShare: config.promoShare,
      currency: config.currency,
    },
    clock,
  );
  return {
    next: () => {
      const g = generator.next();
      pulled++;
      return g;
    },
    inject: (injection) => generator.inject(injection),
  };
}

export interface BatchBuilderOptions {
  source: EventSource;
  encode(event: GeneratedEvent['event']): Buffer;
  validate: boolean;
  metrics: Pick<ProducerMetrics, 'errors'>;
  log: Logger;
  now?: () => number;
}

export class BatchBuilder {
  /** Events pulled from the source, including any skipped as invalid. */
  generated = 0;

  private readonly maxFutureMs = sharedSetting('eventMaxFutureMs');

  constructor(private readonly options: BatchBuilderOptions) {}

  /** Pull `n` events; the batch may hold fewer when some fail validation. */
  build(n: number): Batch {
    const { source, encode, validate, metrics, log } = this.options;
    const batch: Batch = { messages: [], bytes: 0, dups: 0, late: 0, returns: 0 };
    const now = (this.options.now ?? Date.now)();
    for (let i = 0; i < n; i++) {
      const g = source.next();
      this.generated++;
      if (validate) {
        const v = validateEvent(g.event, { now, maxFutureMs: this.maxFutureMs });
        if (!v.ok) {
          // A generator bug, not bad input: count it loudly and keep the stream clean.
          metrics.errors.inc({ kind: 'invalid_generated' });
          log.error('generated event failed validation; skipped', {
            problems: describeProblems(v.problems),
          });
          continue;
        }
      }
      const value = encode(g.event);
      batch.bytes += value.length;
      if (g.duplicate) batch.dups++;
      else if (g.event.quantity < 0) batch.returns++;
      if (g.late) batch.late++;
      batch.messages.push({ key: g.event.store_id, value });
    }
    return batch;
  }
}
