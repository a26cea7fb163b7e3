/** The shared rebalance and zombie test (test/sinks/raw/rebalance.suite.ts) on the ClickHouse raw sink. */
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { rebalanceSuite } from '../../raw/rebalance.suite.js';
import { chCounts } from './ch-counts.js';

const url = clickhouseUrl();
const database = uniqueName('rebalancech');
let reader: ClickHouseClient | undefined;

rebalanceSuite({
  kind: 'clickhouse',
  envPrefix: 'SINK_CLICKHOUSE_',
  env: () => ({ CLICKHOUSE_URL: url, SINK_CLICKHOUSE_DATABASE: database }),
  setup: async () => {
    reader = clickhouseClient(url);
  },
  counts: () => chCounts(reader ?? clickhouseClient(url), database),
  async teardown() {
    await reader?.close();
    await dropDatabase(database, url);
  },
  zombieKeptOut: 'left out',
});
