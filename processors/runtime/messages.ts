/** Kafka messages the runtime writes: late and dead records with their headers, and send batches. */
import type { KafkaMessage, Message } from '../../lib/kafka/index.js';
import { deadLetterHeaders } from '../../lib/contracts/dlq.js';
import type { DlqReason } from '../../lib/contracts/dlq.js';
import { lateHeaders } from '../../lib/contracts/late.js';
import type { ChangelogEntry } from './task.js';
import type { OutRecord } from './types.js';

export interface TopicSend {
  topic: string;
  messages: Message[];
}

/** Messages per produce call: keeps every request well under the broker's 1 MB record-batch limit. */
export const SEND_CHUNK = 500;

export function lateMessage(
  m: KafkaMessage,
  late: { operator: string; watermark: number; closesAt: number },
  topic: string,
  partition: number,
): Message {
  return {
    key: m.key,
    value: m.value,
    headers: lateHeaders(m.headers, {
      processor: late.operator,
      topic,
      partition,
      offset: Number(m.offset),
      watermark: late.watermark,
      closesAt: late.closesAt,
    }),
  };
}

export function deadMessage(
  m: KafkaMessage,
  topic: string,
  partition: number,
  reason: DlqReason,
  detail: string,
  sink: string,
): Message {
  const letter = {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value,
    headers: m.headers ?? {},
    reason,
    detail,
  };
  return { key: m.key, value: m.value, headers: deadLetterHeaders(letter, sink) };
}

/** Everything one transaction writes, grouped by topic (order kept within a topic). */
export function sendsOf(
  outputs: OutRecord[],
  extra: TopicSend[],
  changelog: { topic: string; partition: number; entries: ChangelogEntry[] },
): TopicSend[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of outputs) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    const m: Message = { key: r.key, value: r.value };
    if (r.partition !== undefined) m.partition = r.partition;
    list.push(m);
  }
  const sends: TopicSend[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  for (const s of extra) if (s.messages.length > 0) sends.push(s);
  if (changelog.entries.length > 0)
    sends.push({
      topic: changelog.topic,
      messages: changelog.entries.map((c) => ({
        key: c.key,
        value: c.value,
        partition: changelog.partition,
      })),
    });
  return sends;
}

/** Split topic sends into chunks of at most `size` messages, keeping order within each topic. */
export function chunked(sends: TopicSend[], size: number): TopicSend[][] {
  const out: TopicSend[][] = [];
  let current: TopicSend[] = [];
  let count = 0;
  for (const s of sends) {
    for (let i = 0; i < s.messages.length;) {
      const take = Math.min(size - count, s.messages.length - i);
      current.push({ topic: s.topic, messages: s.messages.slice(i, i + take) });
      count += take;
      i += take;
      if (count >= size) {
        out.push(current);
        current = [];
        count = 0;
      }
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}
