/**
 * Run-time control through the compacted `retail.control` topic (records and keys:
 * lib/contracts/control.ts). Every replica
 * reads the topic from the beginning with its own consumer (compaction keeps the latest value of
 * each key), so a replica that starts later follows the current desired state, and it writes its
 * own report key on start, on every change and every few seconds; a clean stop writes a tombstone.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Consumer, EndOffsets, Kafka, Producer } from '../lib/kafka/index.js';
import { fetchEnds, kafkaError, readToEnd } from '../lib/kafka/index.js';
import { applyRecord } from '../lib/contracts/control.js';
import type {
  AnomalyRecord,
  ControlRecord,
  ControlState,
  PausedRecord,
  RateRecord,
} from '../lib/contracts/control.js';
import type { Logger } from '../lib/logger.js';
import { OS_USER, readSetting } from '../lib/config/index.js';

export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return readSetting('producer', OS_USER);
  }
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

export async function readControlState(kafka: Kafka, topic: string, group: string): Promise<ControlState> {
  const state: ControlState = { rate: undefined, paused: undefined, replicas: new Map() };
  await readToEnd(kafka, {
    topic,
    groupPrefix: 'retail-control-reader',
    consumer: { maxWaitTimeInMs: 100 },
    timeoutMs: 20_000,
    onBatch: (_partition, messages) => {
      for (const m of messages) applyRecord(state, group, m.key?.toString('utf8') ?? '', m.value);
    },
  });
  return state;
}

/**
 * A replica's follower of the control topic: its own consumer group (so every replica sees every
 * record), reading from the beginning; `onChange` is called for each desired-state record.
 */
export class ControlFollower {
  private consumer: Consumer | undefined;
  readonly groupId = `retail-producer-control-${randomUUID()}`;
  readonly state: ControlState = { rate: undefined, paused: undefined, replicas: new Map() };

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly group: string,
    private readonly logger: Logger,
  ) {}

  /** Start following; resolves once the records present at start have been read. */
  async start(
    onChange: (record: RateRecord | PausedRecord | AnomalyRecord, replay: boolean) => void,
  ): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: EndOffsets;
    try {
      ends = await fetchEnds(admin, this.topic);
    } finally {
      await admin.disconnect();
    }
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (ends.done) caughtUp();
    // A control change is applied within a second (docs/producer.md promises it): the broker answers
    // a waiting fetch as soon as a record arrives (minBytes 1), so the wait only sets how often an
    // idle control topic is polled — at 200 ms, five times a second for nothing.
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 1000,
      sessionTimeout: 30_000,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8') ?? '';
        const replay = !ends.done;
        if (applyRecord(this.state, this.group, key, message.value)) {
          const record = key.endsWith('/rate')
            ? this.state.rate
            : key.endsWith('/anomaly')
              ? this.state.anomaly
              : this.state.paused;
          if (record) onChange(record, replay);
          else if (message.value !== null) this.logger.warn('ignoring an unreadable control record', { key });
        }
        if (!ends.done && ends.reached(partition, message.offset)) caughtUp();
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
