/**
 * Reads `retail.sales.dlq` from its start to the end it had when the read began, filters, and
 * collapses copies of the same source record (at-least-once DLQ writes, or both sinks
 * dead-lettering it) into one entry.
 */
import type { IHeaders, Kafka } from '../../../lib/kafka/index.js';
import { readToEnd } from '../../../lib/kafka/index.js';
import { RecordDecoder } from '../../../lib/contracts/event/decode.js';
import type { SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import { DLQ_HEADERS, headerString } from '../../../lib/contracts/dlq.js';

export interface DlqEntry {
  dlqPartition: number;
  dlqOffset: number;
  failedAt: number;
  reason: string;
  detail: string;
  sinks: string[];
  source: { topic: string; partition: number; offset: number };
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  replayCount: number;
}

export interface DlqFilter {
  reason?: string | undefined;
  sink?: string | undefined;
  sourcePartition?: number | undefined;
  since?: number | undefined;
  until?: number | undefined;
  limit?: number | undefined;
}

export async function readDlq(kafka: Kafka, topic: string, filter: DlqFilter = {}): Promise<DlqEntry[]> {
  const entries = new Map<string, DlqEntry>();
  await readToEnd(kafka, {
    topic,
    groupPrefix: 'retail-etl-dlq-reader',
    onBatch: (partition, messages) => {
      for (const m of messages)
        collect(entries, partition, Number(m.offset), m.headers ?? {}, m.key ?? null, m.value, filter);
    },
  });
  const list = [...entries.values()].sort((a, b) => a.failedAt - b.failedAt || a.dlqOffset - b.dlqOffset);
  return filter.limit !== undefined ? list.slice(0, filter.limit) : list;
}

function collect(
  entries: Map<string, DlqEntry>,
  dlqPartition: number,
  dlqOffset: number,
  headers: IHeaders,
  key: Buffer | null,
  value: Buffer | null,
  f: DlqFilter,
): void {
  const h = (name: string) => headerString(headers, name);
  const source = {
    topic: h(DLQ_HEADERS.topic) ?? '?',
    partition: Number(h(DLQ_HEADERS.partition) ?? -1),
    offset: Number(h(DLQ_HEADERS.offset) ?? -1),
  };
  const reason = h(DLQ_HEADERS.reason) ?? 'unknown';
  const sink = h(DLQ_HEADERS.sink) ?? '?';
  const failedAt = Number(h(DLQ_HEADERS.failedAt) ?? 0);
  if (f.reason !== undefined && reason !== f.reason) return;
  if (f.sink !== undefined && sink !== f.sink) return;
  if (f.sourcePartition !== undefined && source.partition !== f.sourcePartition) return;
  if (f.since !== undefined && failedAt < f.since) return;
  if (f.until !== undefined && failedAt > f.until) return;
  const id = `${source.topic}:${source.partition}:${source.offset}`;
  const seen = entries.get(id);
  if (seen) {
    if (!seen.sinks.includes(sink)) seen.sinks.push(sink);
    return;
  }
  entries.set(id, {
    dlqPartition,
    dlqOffset,
    failedAt,
    reason,
    detail: h(DLQ_HEADERS.detail) ?? '',
    sinks: [sink],
    source,
    key,
    value,
    headers,
    replayCount: Number(h(DLQ_HEADERS.replayCount) ?? 0),
  });
}

export interface ReplayOptions {
  /** Where to re-send (default: each record's source topic). */
  to?: string | undefined;
  /** Re-send records that still fail to decode or validate too (they are dead-lettered again). */
  force?: boolean;
  dryRun?: boolean;
}

export interface ReplayReport {
  sent: number;
  stillInvalid: { entry: DlqEntry; reason: string; detail: string }[];
}

/**
 * Re-send the original bytes of `entries`. Without `force`, each is first decoded and validated
 * as the sinks would: records that would fail again are not sent and are reported instead.
 */
export async function replayDlq(
  kafka: Kafka,
  serde: SaleEventSerde,
  entries: DlqEntry[],
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const decoder = new RecordDecoder(serde, () => ({ maxFutureMs: 366 * 86_400_000 }));
  await decoder.prepareBatch(entries.map((e) => e.value));
  const report: ReplayReport = { sent: 0, stillInvalid: [] };
  const toSend: DlqEntry[] = [];
  for (const e of entries) {
    const d = decoder.decode(e.value);
    if (!d.ok) report.stillInvalid.push({ entry: e, reason: d.reason, detail: d.detail });
    if (d.ok || options.force) toSend.push(e);
  }
  if (options.dryRun || toSend.length === 0) return report;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const byTopic = new Map<string, DlqEntry[]>();
    for (const e of toSend) {
      const t = options.to ?? e.source.topic;
      byTopic.set(t, [...(byTopic.get(t) ?? []), e]);
    }
    for (const [topic, list] of byTopic) {
      await producer.send({
        topic,
        acks: -1,
        messages: list.map((e) => {
          const headers: IHeaders = {};
          for (const [k, v] of Object.entries(e.headers))
            if (!k.startsWith('dlq.') && v !== undefined) headers[k] = v;
          headers[DLQ_HEADERS.replayCount] = String(e.replayCount + 1);
          return { key: e.key, value: e.value, headers };
        }),
      });
      report.sent += list.length;
    }
  } finally {
    await producer.disconnect();
  }
  return report;
}
