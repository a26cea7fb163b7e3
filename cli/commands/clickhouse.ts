/** `retail-etl clickhouse serve` — ClickHouse's HTTP interface over the chdb engine (the native stack's ClickHouse). */
import type { Command } from 'commander';
import { HOST } from '../../lib/ports.js';
import { createLogger } from '../../lib/logger.js';
import { onShutdown } from '../../lib/shutdown.js';
import { resolveClickhouseServerConfig } from '../../stack/clickhouse/config.js';
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
      const engine = await ClickhouseEngine.open(config.dataDir);
      const server = await startClickhouseServer({
        engine,
        host: HOST,
        port: config.port,
        user: config.user,
        password: config.password,
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
}
