import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics } from '../../core/contract.suite.js';
import { REFUSED_QUANTITY, refusedRecordSuite } from '../../raw/refused.suite.js';
import { chCounts } from './ch-counts.js';

const url = clickhouseUrl();
const database = uniqueName('refusedch');
let reader: ClickHouseClient | undefined;

refusedRecordSuite({
  kind: 'clickhouse',
  options: () => ({ url, database }),
  env: () => ({ CLICKHOUSE_URL: url, SINK_CLICKHOUSE_DATABASE: database }),
  serverCode: 'VIOLATED_CONSTRAINT',
  async setup() {
    const { target } = resolveSinkConfig('clickhouse', { url, database });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    await sink.close();
    reader = clickhouseClient(url);
    await reader.command({
      query: `ALTER TABLE \`${database}\`.sales_raw ADD CONSTRAINT refused_qty CHECK quantity != ${REFUSED_QUANTITY}`,
    });
  },
  counts: () => chCounts(reader ?? clickhouseClient(url), database),
  async teardown() {
    await reader?.close();
    await dropDatabase(database, url);
  },
});
