/**
 * Issue 11: a segment whose events span more days than one ClickHouse insert may touch (150 > 100
 * partitions) is inserted in parts; when a later part fails, the earlier parts are already stored.
 * Against the stack's ClickHouse over HTTP: (1) the same batch retried after such a partial failure
 * stores each event once; (2) a record refused in a later part, through the running sink process on
 * real Kafka — the batch is split around it and the split halves must not store the earlier parts'
 * events again; the refused record is dead-lettered and every other event is stored once.
 * A CHECK constraint on the test's own sales_raw makes one event on the last day fail its part.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { readDlq } from '../../../../sinks/core/dlq/reader.js';
import { isRefusal } from '../../../../sinks/core/refusal.js';
import { resolveSinkConfig, startSinkProcess } from '../../../../sinks/raw/run.js';
import { createKafka } from '../../../../lib/kafka/index.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics, CONTRACT_LOOP, waitUntil } from '../../core/contract.suite.js';
import { waitCommittedAtEnd } from '../../core/committed.js';
import { chCounts } from './ch-counts.js';

const url = clickhouseUrl();
const DAY = 86_400_000;
const DAYS = 150;
const REFUSED_QUANTITY = 7777;
const reader = clickhouseClient(url);
const databases: string[] = [];

afterAll(async () => {
  await reader.close();
  for (const db of databases) await dropDatabase(db, url);
});

/** `n` events over DAYS days (event i on day i % DAYS), the one at `poisonAt` refused by the table. */
function wideEvents(n: number, poisonAt: number) {
  const start = Date.UTC(2026, 0, 1, 12);
  return makeEvents(n, { time: (i) => start + (i % DAYS) * DAY }).map((e, i) =>
    i === poisonAt ? { ...e, quantity: REFUSED_QUANTITY } : e,
  );
}

async function refusingTable(): Promise<string> {
  const db = uniqueName('chpartial');
  databases.push(db);
  const { target } = resolveSinkConfig('clickhouse', { url, database: db });
  const { metrics, logger } = bareMetrics();
  const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
  await sink.open();
  await sink.close();
  await reader.command({
    query: `ALTER TABLE \`${db}\`.sales_raw ADD CONSTRAINT refused_qty CHECK quantity != ${REFUSED_QUANTITY}`,
  });
  return db;
}

describe('ClickHouse raw sink: a later part of a wide segment fails after the earlier parts are stored', () => {
  it('the same batch retried stores each event once', async () => {
    const db = await refusingTable();
    // The last event is on day 149: in the second part (days 100–149), after the first is stored.
    const events = wideEvents(300, 299);
    const rows = events.map((event, offset) => ({ event, partition: 0, offset, kafkaTimestamp: Date.now() }));
    const batch = {
      segments: [{ topic: 'retail.sales.v1', partition: 0, first: 0, last: rows.length - 1, rows }],
      rowCount: rows.length,
    };
    const { target } = resolveSinkConfig('clickhouse', { url, database: db });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    try {
      const failed = await sink.writeBatch(batch).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isRefusal(failed)).toBe(true);
      // A partial failure indeed: the first part's 200 events (days 0–99) are stored.
      expect((await chCounts(reader, db)).count).toBe(200);
      // The refusal passes (the constraint goes) and the batch is retried as it was.
      await reader.command({ query: `ALTER TABLE \`${db}\`.sales_raw DROP CONSTRAINT refused_qty` });
      await sink.writeBatch(batch);
    } finally {
      await sink.close();
    }
    const expected = totals(events);
    expect(await chCounts(reader, db)).toEqual({ ...expected, distinct: expected.count });
  });

  it('through the sink: the refused event is dead-lettered, the split halves store no event twice', async () => {
    const db = await refusingTable();
    const topic = uniqueName('partial');
    const dlqTopic = uniqueName('partialdlq');
    const group = uniqueName('grp');
    await createTopic(topic, 1);
    await createTopic(dlqTopic, 1);
    const kafka = createKafka('test-partial');
    try {
      const poisonAt = 1049; // day 149: the second part of its segment
      const events = wideEvents(1200, poisonAt);
      const good = events.filter((_, i) => i !== poisonAt);
      await produce(topic, events);
      const running = await startSinkProcess('clickhouse', {
        url,
        database: db,
        topic,
        groupId: group,
        dlqTopic,
        ...CONTRACT_LOOP,
      });
      try {
        await waitUntil(
          async () => (await readDlq(kafka, dlqTopic)).length >= 1,
          90_000,
          'the refused event',
        );
        await waitCommittedAtEnd(kafka, group, [topic], 60_000);
      } finally {
        await running.stop();
      }
      const expected = totals(good);
      expect(await chCounts(reader, db)).toEqual({ ...expected, distinct: expected.count });
      const dead = await readDlq(kafka, dlqTopic);
      expect(dead.map((d) => [d.reason, d.source.offset])).toEqual([['refused_by_target', poisonAt]]);
    } finally {
      await deleteTopics([topic, dlqTopic]);
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
