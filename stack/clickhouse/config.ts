/** Options of `retail-etl clickhouse serve`, the native stack's ClickHouse server (stack/components/clickhouse.ts). */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { configResolver } from '../../lib/config/index.js';
import { PORTS } from '../../lib/ports.js';
import { CLICKHOUSE_SINK_SCHEMA } from '../../sinks/clickhouse/raw/config.js';
import type { ClickhouseUser } from './access.js';
import { CLICKHOUSE_AGG_SINK_USER, CLICKHOUSE_READER_USER, CLICKHOUSE_SINK_USER } from './access.js';

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
  readConnections: {
    type: 'int',
    env: 'CLICKHOUSE_SERVER_READ_CONNECTIONS',
    default: 2,
    min: 0,
    max: 16,
    doc: 'engine connections for SELECTs, beside the one that runs everything else in order: reads run concurrently with each other and with inserts (0: every query on the one connection)',
  },
  user: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_USER',
    default: 'default',
    doc: 'the owner: every right (migrations, tests); the runtime users below have fewer (docs/security.md)',
  },
  password: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_PASSWORD',
    secret: true,
    required: true,
    doc: 'its password (`make up` generates it into .stack/secrets.env and passes it in the environment)',
  },
  sinkPassword: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_SINK_PASSWORD',
    secret: true,
    doc: 'password of `retail_sink` (the raw sink: SELECT/INSERT on its tables); the user exists only when set',
  },
  aggSinkPassword: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_AGG_SINK_PASSWORD',
    secret: true,
    doc: 'password of `retail_agg_sink` (the aggregate sink: SELECT/INSERT/DELETE on its tables); exists only when set',
  },
  readerPassword: {
    type: 'string',
    env: 'CLICKHOUSE_SERVER_READER_PASSWORD',
    secret: true,
    doc: 'password of `retail_reader` (the query API: readonly=1); exists only when set',
  },
  // The sink's own setting, read by the server too: the floor is enforced where the sink's user
  // cannot change it (as `pg migrate` writes Postgres's into the retention function).
  retentionMinDays: CLICKHOUSE_SINK_SCHEMA.retentionMinDays,
} satisfies Schema;

export type ClickhouseServerConfig = ConfigOf<typeof CLICKHOUSE_SERVER_SCHEMA>;

/** The owner and every runtime user whose password is configured. */
export function serverUsers(c: ClickhouseServerConfig): ClickhouseUser[] {
  const users: ClickhouseUser[] = [{ name: c.user, password: c.password, role: 'owner' }];
  if (c.sinkPassword) users.push({ name: CLICKHOUSE_SINK_USER, password: c.sinkPassword, role: 'sink' });
  if (c.aggSinkPassword)
    users.push({ name: CLICKHOUSE_AGG_SINK_USER, password: c.aggSinkPassword, role: 'aggregates-sink' });
  if (c.readerPassword)
    users.push({ name: CLICKHOUSE_READER_USER, password: c.readerPassword, role: 'reader' });
  return users;
}

export const resolveClickhouseServerConfig = configResolver('clickhouse-server', CLICKHOUSE_SERVER_SCHEMA);
