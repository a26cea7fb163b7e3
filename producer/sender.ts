/**
 * The send step: one request to Kafka, retried with the very same records until it is
 * acknowledged. kafkajs then re-uses their idempotent sequence numbers and the broker drops what it
 * had already written, so a broker restart costs no duplicate. Errors that retrying cannot cure
 * stop the producer with an EtlError instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from '../lib/kafka/index.js';
import { EtlError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ProducerMetrics } from './metrics.js';

/** Kafka errors that retrying the same records cannot cure. */
export const FATAL_SEND_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'UNSUPPORTED_VERSION',
]);

/** Back-off after the n-th consecutive failure: 400 ms doubling, at most 5 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(5000, 200 * 2 ** Math.min(failures, 5));
}

export interface SenderOptions {
  /** One request with these records (acks, compression and topic are the caller's business). */
  sendOnce(messages: Message[]): Promise<unknown>;
  metrics: Pick<ProducerMetrics, 'sendLatency' | 'errors'>;
  log: Logger;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
}

export class Sender {
  private failures = 0;
  /** False from the first failed send until the next acknowledged one (drives /readyz). */
  healthy = true;
  /** After this wall-clock time a failing send gives up instead of retrying (set by a stop). */
  giveUpAfter = Infinity;

  constructor(private readonly options: SenderOptions) {}

  /** True once acknowledged; false when a stop's grace ran out first. */
  async send(messages: Message[]): Promise<boolean> {
    const { sendOnce, metrics, log } = this.options;
    const now = this.options.now ?? Date.now;
    const pause = this.options.sleep ?? sleep;
    for (;;) {
      const end = metrics.sendLatency.startTimer();
      try {
        await sendOnce(messages);
        end();
        if (this.failures > 0) log.info('sending again after failures', { failures: this.failures });
        this.failures = 0;
        this.healthy = true;
        return true;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== undefined && FATAL_SEND_ERRORS.has(type)) {
          // Retrying cannot help (e.g. a batch above the broker's message.max.bytes): stop loudly.
          metrics.errors.inc({ kind: 'fatal' });
          throw new EtlError('KAFKA_ERROR', `Kafka refused the records: ${(err as Error).message}`, {
            serverCode: type,
            hint: type === 'MESSAGE_TOO_LARGE' ? 'lower --batch-size' : undefined,
            cause: err,
          });
        }
        this.failures++;
        this.healthy = false;
        metrics.errors.inc({ kind: 'send' });
        if (this.failures === 1 || this.failures % 10 === 0) {
          log.warn('send failed; retrying the same records (idempotent: no duplicates)', {
            failures: this.failures,
            err,
          });
        }
        if (now() > this.giveUpAfter) return false;
        await pause(retryDelayMs(this.failures));
      }
    }
  }
}
