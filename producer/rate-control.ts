/**
 * The producer's run-time state as the control topic steers it: the rate (refused above this
 * replica's cap) and pause. Applying a record updates the token bucket and the gauges, and says
 * whether anything changed so the caller can wake the send loop and report.
 */
import type { Logger } from '../lib/logger.js';
import type { PausedRecord, RateRecord } from '../lib/contracts/control.js';
import type { ProducerMetrics } from './metrics.js';

export interface RateControlOptions {
  rate: number;
  maxRate: number;
  bucket: { setRate(rate: number): void; reset(): void };
  metrics: Pick<ProducerMetrics, 'targetRate' | 'configuredRate' | 'rateCap' | 'paused' | 'controlChanges'>;
  log: Logger;
}

export class RateControl {
  rate: number;
  paused = false;
  /** The last change applied or refused, in words (shown by `producer status`). */
  lastChange: string | undefined;

  constructor(private readonly options: RateControlOptions) {
    this.rate = options.rate;
    const { metrics } = options;
    metrics.targetRate.set(this.rate);
    metrics.configuredRate.set(this.rate);
    metrics.rateCap.set(options.maxRate);
    metrics.paused.set(0);
  }

  /** Apply one desired-state record; false when it asked for what is already in force. */
  apply(record: RateRecord | PausedRecord, replay: boolean): boolean {
    const { bucket, metrics, log, maxRate } = this.options;
    const who = { actor: record.actor, at: record.at, from_host: record.host, replay };
    if (record.kind === 'rate') {
      if (record.rate === this.rate) return false;
      if (!Number.isInteger(record.rate) || record.rate < 1 || record.rate > maxRate) {
        this.lastChange = `refused rate ${record.rate}/s from ${record.actor}: outside 1..${maxRate}`;
        metrics.controlChanges.inc({ kind: 'rate', result: 'refused' });
        log.warn('control: rate refused (above this replica’s cap)', {
          ...who,
          rate: record.rate,
          cap: maxRate,
        });
      } else {
        log.info('control: rate changed', { ...who, from: this.rate, to: record.rate });
        this.lastChange = `rate ${this.rate}→${record.rate}/s by ${record.actor} at ${record.at}`;
        this.rate = record.rate;
        bucket.setRate(this.rate);
        metrics.configuredRate.set(this.rate);
        if (!this.paused) metrics.targetRate.set(this.rate);
        metrics.controlChanges.inc({ kind: 'rate', result: 'applied' });
      }
      return true;
    }
    if (record.paused === this.paused) return false;
    this.paused = record.paused;
    this.lastChange = `${this.paused ? 'paused' : 'resumed'} by ${record.actor} at ${record.at}`;
    log.info(`control: ${this.paused ? 'paused' : 'resumed'}`, who);
    if (!this.paused) bucket.reset();
    metrics.paused.set(this.paused ? 1 : 0);
    metrics.targetRate.set(this.paused ? 0 : this.rate);
    metrics.controlChanges.inc({ kind: 'paused', result: 'applied' });
    return true;
  }
}
