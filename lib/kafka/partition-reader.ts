/**
 * Read one partition from its start to the end it had when the read began, `read_committed`,
 * without a consumer group: fetch requests go straight to the partition's leader. A restore must
 * not join a group — a join costs a rebalance round, and after a broker restart the group
 * coordinator can spend most of a minute loading `__consumer_offsets` before it answers at all.
 *
 * kafkajs 2.2.4 has no `assign()`; its cluster object (metadata, leaders, connections) is made
 * by the client's private factory, reached here the way request-queue-fix.ts reaches into kafkajs.
 * The Fetch request is kafkajs' own (the version the broker negotiated, sent through the broker's
 * connection), but its response is decoded here only down to each partition's record set, whose
 * batches record-batch.ts walks in place — offset, key and value of each committed record, no
 * object per record, no headers — and which also finishes read_committed (aborted transactions,
 * control batches). kafkajs' decoding of the records was most of a restore's time (issue 16).
 *
 * It cannot wedge: a read has no overall deadline, only a progress deadline — when no fetch has
 * moved the position for `stallTimeoutMs` the connection is dropped and the read goes on from
 * where it was. Errors a retry can cure (no broker available, connection refused, leader moving,
 * request timed out…) are retried with backoff from the current position, for as long as it takes
 * (a broker restart), and reported through `onRetry`. Only errors no retry can cure are thrown,
 * and `signal` stops the read (the task was given away).
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { EtlError } from '../errors.js';
import { FINAL_KAFKA_ERRORS, kafkaError, kafkaErrorType } from './errors.js';
import { readRecordSet } from './record-batch.js';
import type { AbortedTransaction, RecordView } from './record-batch.js';

const READ_COMMITTED = 1;

interface PartitionData {
  partition: number;
  errorCode: number;
  lastStableOffset: string;
  abortedTransactions: AbortedTransaction[];
  /** The partition's record set as the broker sent it (a view of the response, not a copy). */
  records: Buffer;
}

interface FetchResponse {
  /** KIP-219 (v8+): the broker expects the client to wait this long; kafkajs' queue does. */
  clientSideThrottleTime?: number;
  responses: { topicName: string; partitions: PartitionData[] }[];
}

interface FetchArgs {
  replicaId?: number;
  isolationLevel: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  rackId: string;
  topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
}

interface ProtocolRequest {
  request: { apiVersion: number };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

interface BrokerLike {
  lookupRequest(apiKey: number, definition: unknown): (args: FetchArgs) => ProtocolRequest;
}

interface ClusterLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<BrokerLike>;
  fetchTopicsOffset(
    topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

const require = createRequire(import.meta.url);
const { requests } = require('kafkajs/src/protocol/requests/index.js') as { requests: { Fetch: unknown } };
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as { Fetch: number };
type KafkaDecoder = {
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readString(): string;
  readArray<T>(reader: (d: KafkaDecoder) => T): T[];
  readBytes(n?: number): Buffer | null;
  canReadBytes(n: number): boolean;
};
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KafkaDecoder;
// kafkajs' check of the partitions' error codes (OFFSET_OUT_OF_RANGE and the rest), as its own Fetch uses.
const { parse: parseFetch } = require('kafkajs/src/protocol/requests/fetch/v0/response.js') as {
  parse(data: unknown): Promise<unknown>;
};
const EMPTY = Buffer.alloc(0);

/**
 * A Fetch response (v4 to v11, what kafkajs negotiates with brokers that still speak v4+) decoded
 * down to each partition's header and its record set's bytes.
 */
export function decodeFetchResponse(raw: Buffer, version: number): FetchResponse {
  if (version < 4 || version > 11)
    throw new EtlError('KAFKA_ERROR', `Fetch v${version}: the partition reader decodes v4 to v11`);
  const d = new Decoder(raw);
  const throttle = d.readInt32();
  if (version >= 7) {
    d.readInt16(); // error code (session errors; no fetch session is used)
    d.readInt32(); // session id
  }
  const responses = d.readArray((t) => ({
    topicName: t.readString(),
    partitions: t.readArray((p): PartitionData => {
      const partition = p.readInt32();
      const errorCode = p.readInt16();
      p.readInt64(); // high watermark
      const lastStableOffset = p.readInt64().toString();
      if (version >= 5) p.readInt64(); // log start offset
      const abortedTransactions = p.readArray((a) => ({
        producerId: a.readInt64().toString(),
        firstOffset: a.readInt64().toString(),
      }));
      if (version >= 11) p.readInt32(); // preferred read replica
      const size = p.readInt32();
      const records = size > 0 && p.canReadBytes(size) ? (p.readBytes(size) ?? EMPTY) : EMPTY;
      return { partition, errorCode, lastStableOffset, abortedTransactions, records };
    }),
  }));
  return version >= 8 ? { clientSideThrottleTime: throttle, responses } : { responses };
}

/** kafkajs' Fetch request through `broker`'s connection, its response decoded by decodeFetchResponse. */
async function fetchRaw(broker: BrokerLike, args: FetchArgs): Promise<FetchResponse> {
  const protocol = broker.lookupRequest(apiKeys.Fetch, requests.Fetch)(args);
  const version = protocol.request.apiVersion;
  const send = (broker as unknown as Record<symbol, unknown>)[sendRequestSymbol(broker)] as (
    p: ProtocolRequest,
  ) => Promise<FetchResponse>;
  return await send.call(broker, {
    ...protocol,
    response: { decode: async (raw: Buffer) => decodeFetchResponse(raw, version), parse: parseFetch },
  });
}

let sendRequest: symbol | undefined;
/** The broker's private send (it drops the connection on "connection closed", like its own fetch). */
function sendRequestSymbol(broker: BrokerLike): symbol {
  sendRequest ??= Object.getOwnPropertySymbols(Object.getPrototypeOf(broker) as object).find(
    (s) => s.description === 'private:Broker:sendRequest',
  );
  if (!sendRequest)
    throw new EtlError('KAFKA_ERROR', 'this kafkajs version has no broker send request (expected 2.2.x)');
  return sendRequest;
}

/** A cluster of `kafka`'s settings (brokers, retries, logging) through the client's private factory. */
function createCluster(kafka: Kafka): ClusterLike {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof factory !== 'function') {
    throw new EtlError('KAFKA_ERROR', 'this kafkajs version has no cluster factory (expected 2.2.x)');
  }
  return (factory as (o: object) => ClusterLike)({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    isolationLevel: READ_COMMITTED,
  });
}

export interface PartitionReadOptions {
  topic: string;
  partition: number;
  /** Bytes per fetch. */
  maxBytes?: number;
  /** No progress for this long: reconnect and go on. */
  stallTimeoutMs: number;
  /**
   * Each record in offset order (committed ones, no control records), none at or past the end:
   * a view into the fetched bytes, valid only during the call (record-batch.ts).
   */
  onRecord(record: RecordView): void;
  /** Offsets read so far and in total (end − start), after every fetch. */
  onProgress?(read: number, total: number): void;
  /** A retriable failure; the read goes on after a backoff. */
  onRetry?(err: unknown, attempt: number): void;
  signal?: AbortSignal;
}

export interface PartitionReadResult {
  records: number;
  bytes: number;
  /** Offsets covered (end − start). */
  offsets: number;
}

/** Whether a failed fetch is worth retrying: anything but a final broker answer or a bug. */
export function isRetriableRead(err: unknown): boolean {
  const type = kafkaErrorType(err);
  if (type !== undefined && FINAL_KAFKA_ERRORS.has(type)) return false;
  if (err instanceof EtlError) return err.retriable;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

class Stalled extends Error {
  override readonly name = 'KafkaJSStalledRead';
}

export async function readPartition(kafka: Kafka, o: PartitionReadOptions): Promise<PartitionReadResult> {
  const maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
  const result: PartitionReadResult = { records: 0, bytes: 0, offsets: 0 };
  let start: bigint | undefined;
  let end: bigint | undefined;
  let pos = 0n;
  let attempt = 0;
  for (;;) {
    if (o.signal?.aborted)
      throw new EtlError('KAFKA_ERROR', `reading ${o.topic}[${o.partition}] was stopped`);
    const cluster = createCluster(kafka);
    try {
      await cluster.connect();
      await cluster.addTargetTopic(o.topic);
      if (start === undefined || end === undefined) {
        const at = async (fromBeginning: boolean) => {
          const [t] = await cluster.fetchTopicsOffset([
            { topic: o.topic, fromBeginning, partitions: [{ partition: o.partition }] },
          ]);
          const p = t?.partitions.find((x) => x.partition === o.partition);
          if (!p) throw new EtlError('KAFKA_ERROR', `topic ${o.topic} has no partition ${o.partition}`);
          return BigInt(p.offset);
        };
        start = await at(true);
        // Latest under read_committed: the last stable offset — everything committed so far.
        end = await at(false);
        pos = start;
        result.offsets = Number(end - start);
      }
      let progressAt = Date.now();
      o.onProgress?.(Number(pos - start), Number(end - start));
      while (pos < end) {
        if (o.signal?.aborted)
          throw new EtlError('KAFKA_ERROR', `reading ${o.topic}[${o.partition}] was stopped`);
        const leaders = cluster.findLeaderForPartitions(o.topic, [o.partition]);
        const nodeId = Object.keys(leaders)[0];
        if (nodeId === undefined)
          throw Object.assign(new Error('no leader'), { type: 'LEADER_NOT_AVAILABLE' });
        const broker = await cluster.findBroker({ nodeId });
        const { responses } = await fetchRaw(broker, {
          isolationLevel: READ_COMMITTED,
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes,
          rackId: '',
          topics: [
            { topic: o.topic, partitions: [{ partition: o.partition, fetchOffset: String(pos), maxBytes }] },
          ],
        });
        const data = responses[0]?.partitions.find((p) => p.partition === o.partition);
        const endOffset = Number(end);
        const read = await readRecordSet(
          data?.records ?? EMPTY,
          Number(pos),
          data?.abortedTransactions ?? [],
          (r) => {
            if (r.offset >= endOffset) return;
            result.records++;
            result.bytes += r.valueLength();
            o.onRecord(r);
          },
        );
        if (read.nextOffset !== undefined && BigInt(read.nextOffset) > pos) {
          pos = BigInt(read.nextOffset);
          progressAt = Date.now();
          attempt = 0;
        } else if (data && BigInt(data.lastStableOffset) >= end) {
          // Nothing readable between here and the end: batches emptied by compaction.
          pos = end;
        } else if (Date.now() - progressAt > o.stallTimeoutMs) {
          throw new Stalled(`no progress reading ${o.topic}[${o.partition}] for ${o.stallTimeoutMs} ms`);
        }
        o.onProgress?.(Number(pos - start), Number(end - start));
      }
      return result;
    } catch (err) {
      // The log start moved past the position (retention): read again from the new start — the
      // caller keeps the latest value per key, so records read twice change nothing.
      if (kafkaErrorType(err) === 'OFFSET_OUT_OF_RANGE') start = undefined;
      else if (!(err instanceof Stalled) && !isRetriableRead(err))
        throw kafkaError(`could not read ${o.topic}`, err);
      if (o.signal?.aborted) throw kafkaError(`reading ${o.topic}[${o.partition}] was stopped`, err);
      attempt++;
      o.onRetry?.(err, attempt);
      await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
    } finally {
      await cluster.disconnect().catch(() => undefined);
    }
  }
}
