/**
 * What the producer has sent: totals of acknowledged events (and their metrics), events lost to a
 * stop during an outage, and the actual rate over the last few seconds.
 */
import type { Batch } from './batch.js';
import type { ProducerMetrics } from './metrics.js';

export interface Totals {
  events: number;
  duplicates: number;
  late: number;
  bytes: number;
  /** Events generated but never acknowledged (a stop during a long outage). */
  unacknowledged: number;
}

/** Samples kept for the actual rate: one a second, so about five seconds of history. */
const RATE_WINDOW = 6;

export class Throughput {
  readonly totals: Totals = { events: 0, duplicates: 0, late: 0, bytes: 0, unacknowledged: 0 };
  actualRate = 0;
  private readonly samples: { t: number; events: number }[] = [];

  constructor(
    private readonly metrics: Pick<ProducerMetrics, 'events' | 'lateEvents' | 'bytes' | 'actualRate'>,
  ) {}

  /** Count a batch Kafka acknowledged. */
  acknowledged(b: Batch): void {
    const { totals, metrics } = this;
    totals.events += b.messages.length;
    totals.duplicates += b.dups;
    totals.late += b.late;
    totals.bytes += b.bytes;
    metrics.events.inc({ kind: 'duplicate' }, b.dups);
    metrics.events.inc({ kind: 'return' }, b.returns);
    metrics.events.inc({ kind: 'sale' }, b.messages.length - b.dups - b.returns);
    metrics.lateEvents.inc(b.late);
    metrics.bytes.inc(b.bytes);
  }

  /** Count a batch given up on (a stop's grace ran out before Kafka acknowledged it). */
  lost(b: Batch): void {
    this.totals.unacknowledged += b.messages.length;
  }

  /** Take a sample (called every second) and update the actual rate. */
  sample(now: number = performance.now()): void {
    const { samples, totals } = this;
    samples.push({ t: now, events: totals.events });
    while (samples.length > RATE_WINDOW) samples.shift();
    const first = samples[0];
    if (first && now > first.t) this.actualRate = ((totals.events - first.events) * 1000) / (now - first.t);
    this.metrics.actualRate.set(this.actualRate);
  }
}
