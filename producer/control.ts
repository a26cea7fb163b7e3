/**
 * Run-time control through the compacted `retail.control` topic (records and keys:
 * lib/contracts/control.ts). Every replica
 * reads the topic from the beginning with its own consumer (compaction keeps the latest value of
 * each key), so a replica that starts later follows the current desired state, and it writes its
 * own report key on start, on every change and every few seconds; a clean stop writes a tombstone.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { applyRecord } from '../lib/contracts/control.js';
import type { ControlRecord, ControlState, PausedRecord, RateRecord } from '../lib/contracts/control.js';
import { EtlError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

function kafkaError(message: string, err: unknown): EtlError {
  return new EtlError('KAFKA_ERROR', `${message}: ${(err as Error).message}`, {
    retriable: true,
    serverCode: (err as { type?: string }).type,
    cause: err,
  });
}

/** Write one control record (or a tombstone) and wait for the broker's acknowledgement. */
export async function publishControl(
  producer: Producer,
  topic: string,
  key: string,
  record: ControlRecord | null,
): Promise<void> {
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: record === null ? null : JSON.stringify(record) }],
    });
  } catch (err) {
    throw kafkaError(`could not write to ${topic}`, err);
  }
}

/**
 * Read a compacted topic from the beginning up to its current end with a throwaway consumer
 * group, calling `onRecord` for each record; the group is deleted afterwards.
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  onRecord: (key: string, value: Buffer | null) => void,
  timeoutMs = 20_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `retail-control-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
    if (pending.size === 0) return;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new EtlError('TIMEOUT', `reading ${topic} did not reach its end within ${timeoutMs} ms`, {
              retriable: true,
            }),
          ),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            onRecord(message.key?.toString('utf8') ?? '', message.value);
            const end = pending.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } catch (err) {
    throw err instanceof EtlError ? err : kafkaError(`could not read ${topic}`, err);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function readControlState(kafka: Kafka, topic: string, group: string): Promise<ControlState> {
  const state: ControlState = { rate: undefined, paused: undefined, replicas: new Map() };
  await readToEnd(kafka, topic, (key, value) => applyRecord(state, group, key, value));
  return state;
}

/**
 * A replica's follower of the control topic: its own consumer group (so every replica sees every
 * record), reading from the beginning; `onChange` is called for each desired-state record.
 */
export class ControlFollower {
  private consumer: Consumer | undefined;
  private readonly groupId = `retail-producer-control-${randomUUID()}`;
  readonly state: ControlState = { rate: undefined, paused: undefined, replicas: new Map() };

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly group: string,
    private readonly logger: Logger,
  ) {}

  /** Start following; resolves once the records present at start have been read. */
  async start(onChange: (record: RateRecord | PausedRecord, replay: boolean) => void): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      ends = new Map(offsets.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
    } finally {
      await admin.disconnect();
    }
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (ends.size === 0) caughtUp();
    // A short fetch wait: a control change is applied within a second (the bound).
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 200,
      sessionTimeout: 30_000,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8') ?? '';
        const replay = ends.size > 0;
        if (applyRecord(this.state, this.group, key, message.value)) {
          const record = key.endsWith('/rate') ? this.state.rate : this.state.paused;
          if (record) onChange(record, replay);
          else if (message.value !== null) this.logger.warn('ignoring an unreadable control record', { key });
        }
        const end = ends.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          ends.delete(partition);
          if (ends.size === 0) caughtUp();
        }
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([this.groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
