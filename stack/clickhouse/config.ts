/** Options of `retail-etl clickhouse serve`, the native stack's ClickHouse server (stack/components/clickhouse.ts). */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { configResolver } from '../../lib/config/index.js';
import { PORTS } from '../../lib/ports.js';

export const CLICKHOUSE_SERVER_SCHEMA = {
  dataDir: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_DATA_DIR',
    required: true,
    doc: 'the engine’s data directory (`make up`: `.stack/data/clickhouse`); one process may open it',
  },
  port: {
    type: 'int',
    env: 'CLICKHOUSE_SERVER_PORT',
    default: PORTS.clickhouse,
    min: 0,
    max: 65_535,
    doc: 'HTTP port on 127.0.0.1 (ClickHouse’s own default)',
  },
  user: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_USER',
    default: 'default',
    doc: 'the one user allowed in',
  },
  password: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_PASSWORD',
    secret: true,
    required: true,
    doc: 'its password (`make up` generates it into .stack/secrets.env and passes it in the environment)',
  },
} satisfies Schema;

export type ClickhouseServerConfig = ConfigOf<typeof CLICKHOUSE_SERVER_SCHEMA>;

export const resolveClickhouseServerConfig = configResolver('clickhouse-server', CLICKHOUSE_SERVER_SCHEMA);
