/** `retail-etl clickhouse serve` — ClickHouse's HTTP interface over the chdb engine (the native stack's ClickHouse). */
import type { Command } from 'commander';
import { environment, readSetting } from '../../lib/config/index.js';
import { CLICKHOUSE_URL } from '../../lib/config/index.js';
import { EtlError } from '../../lib/errors.js';
import { HOST } from '../../lib/ports.js';
import { createClickhouseClient } from '../../sinks/clickhouse/client.js';
import { migrateClickhouse } from '../../sinks/clickhouse/migrate-all.js';
import { createLogger } from '../../lib/logger.js';
import { onShutdown } from '../../lib/shutdown.js';
import { resolveClickhouseServerConfig, serverUsers } from '../../stack/clickhouse/config.js';
import { ClickhouseEngine } from '../../stack/clickhouse/engine.js';
import { startClickhouseServer } from '../../stack/clickhouse/server.js';

export function registerClickhouse(program: Command): void {
  const ch = program
    .command('clickhouse')
    .description('the native stack’s ClickHouse: one chdb engine behind the HTTP interface (docs/stack.md)');
  ch.command('serve')
    .description(
      'serve ClickHouse’s HTTP interface on 127.0.0.1 over a chdb data directory (password from the environment)',
    )
    .option('--data-dir <dir>', 'data directory (env CLICKHOUSE_SERVER_DATA_DIR)')
    .option('--port <port>', 'HTTP port (default 8123, env CLICKHOUSE_SERVER_PORT)')
    .action(async (opts: { dataDir?: string; port?: string }) => {
      const config = resolveClickhouseServerConfig({ dataDir: opts.dataDir, port: opts.port });
      const logger = createLogger('clickhouse');
      const engine = await ClickhouseEngine.open(config.dataDir, config.readConnections);
      const server = await startClickhouseServer({
        engine,
        host: HOST,
        port: config.port,
        users: serverUsers(config),
        retentionFloor: { minDays: config.retentionMinDays },
        log: (line) => logger.warn(line),
      }).catch(async (err: unknown) => {
        await engine.close();
        throw err;
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      logger.info('clickhouse serving', {
        url: `http://${HOST}:${port}`,
        engine: engine.version,
        dataDir: config.dataDir,
      });
      await new Promise<void>((resolve) => {
        onShutdown(logger, async () => {
          await new Promise<void>((r) => server.close(() => r()));
          await engine.close();
          resolve();
        });
      });
    });

  ch.command('migrate')
    .description(
      'create the sinks’ databases and tables (sales_raw, its id tables, the aggregate tables) as the owner (CLICKHOUSE_URL); idempotent',
    )
    .option(
      '--database <name>',
      'one database for raw and aggregate tables (default: the sinks’ configuration)',
    )
    .action(async (o: { database?: string }) => {
      const url = readSetting('clickhouse-migrate', CLICKHOUSE_URL);
      if (!url)
        throw new EtlError('CONFIG_INVALID', 'clickhouse migrate: CLICKHOUSE_URL is not set', {
          hint: 'set CLICKHOUSE_URL to the owner’s URL (`make up` writes it to .stack/env)',
        });
      const client = await createClickhouseClient({ url });
      try {
        const r = await migrateClickhouse(client, environment(), o.database);
        console.log(
          `migrated ClickHouse database ${r.database} (raw) and ${r.aggregatesDatabase} (aggregates)`,
        );
      } finally {
        await client.close();
      }
    });
}
