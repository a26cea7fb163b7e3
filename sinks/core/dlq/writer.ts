/**
 * Sends dead letters to `retail.sales.dlq` and waits for the broker's ack before the batch that
 * skipped them is committed: a poison record is never lost, and never stops its partition.
 * Delivery to the DLQ is at-least-once (a crash between the DLQ send and the batch commit sends
 * it again on replay); `retail-etl dlq list|replay` collapse copies by source topic/partition/offset.
 */
import type { Kafka, Producer } from '../../../lib/kafka/index.js';
import { kafkaError } from '../../../lib/kafka/index.js';
import { deadLetterHeaders } from '../../../lib/contracts/dlq.js';
import type { DeadLetter } from '../../../lib/contracts/dlq.js';

export class DlqWriter {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly sink: string,
  ) {}

  async open(): Promise<void> {
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.producer) throw new Error('DlqWriter.send before open()');
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: letters.map((d) => ({
          key: d.key,
          value: d.value,
          headers: deadLetterHeaders(d, this.sink),
        })),
      });
    } catch (err) {
      throw kafkaError(`could not write ${letters.length} dead letters to ${this.topic}`, err);
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
