/**
 * The shared raw dedup suite (test/sinks/raw/dedup.suite.ts) on ClickHouse's sales_raw
 * (sinks/clickhouse/raw/ids.ts), on the stack's ClickHouse server over HTTP — the sinks' production
 * path — a database per table. Its own crash point: between the two inserts of a batch (the rows
 * in, their ids not).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertSegment, rangeColumns } from '../../../../sinks/clickhouse/insert.js';
import type { Batch } from '../../../../sinks/core/contract.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { rawDedupSuite } from '../../raw/dedup.suite.js';
import { chCounts } from './ch-counts.js';

const url = clickhouseUrl();
let reader: ClickHouseClient | undefined;
const client = () => (reader ??= clickhouseClient(url));

rawDedupSuite({
  kind: 'clickhouse',
  options: (database) => ({ url, database }),
  env: (database) => ({ CLICKHOUSE_URL: url, SINK_CLICKHOUSE_DATABASE: database }),
  counts: (database) => chCounts(client(), database),
  // Exactly the insert the sink makes first, with its token: the write then finds no id, chooses
  // the same rows, the token drops the insert, and the ids go in.
  async interruptedWrite(_sink, database, batch: Batch) {
    const seg = batch.segments[0] as Batch['segments'][number];
    const firsts = seg.rows.filter(
      (r, i) => seg.rows.findIndex((o) => o.event.event_id === r.event.event_id) === i,
    );
    await insertSegment(
      client(),
      `\`${database}\`.sales_raw`,
      seg,
      firsts.map((r) => ({
        ...r.event,
        ...rangeColumns(seg),
        kafka_offset: r.offset,
        kafka_timestamp: r.kafkaTimestamp,
      })),
    );
  },
  replay: () => ({ fenced: [], dropped: 1 }),
  drop: (database) => dropDatabase(database, url),
  teardown: async () => reader?.close(),
});
