/** The shared aggregate rebalance and zombie test (test/sinks/aggregates/rebalance.suite.ts) on the ClickHouse target, read with FINAL. */
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { clickhouseTables } from '../../aggregates/expected.js';
import { aggregateRebalanceSuite } from '../../aggregates/rebalance.suite.js';

const url = clickhouseUrl();
const database = uniqueName('rebaggch');
let reader: ClickHouseClient | undefined;

aggregateRebalanceSuite({
  target: 'clickhouse',
  env: () => ({
    CLICKHOUSE_URL: url,
    SINK_AGGREGATES_TARGET: 'clickhouse',
    SINK_AGGREGATES_CLICKHOUSE_DATABASE: database,
  }),
  setup: async () => {
    reader = clickhouseClient(url);
  },
  tables: (range) => clickhouseTables(reader ?? clickhouseClient(url), database, range),
  async teardown() {
    await reader?.close();
    await dropDatabase(database, url);
  },
  zombieKeptOut: 'superseded',
});
