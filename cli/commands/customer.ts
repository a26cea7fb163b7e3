/**
 * `retail-etl customer erase <customer_id>` — the right to erasure (docs/security.md#personal-data-gdpr):
 * the customer's raw rows deleted from Postgres (as DATABASE_URL, the owner) and ClickHouse (when
 * CLICKHOUSE_URL is set). Kafka keeps them until its retention.
 */
import type { Command } from 'commander';
import { resolveConfig } from '../../lib/config/index.js';
import { pgClient } from '../../lib/postgres/connection.js';
import { CONNECT_SCHEMA } from '../../lib/connect/connector.js';
import { createClickhouseClient } from '../../sinks/clickhouse/client.js';
import { CLICKHOUSE_SINK_SCHEMA } from '../../sinks/clickhouse/raw/config.js';
import type { ErasedTable } from '../../sinks/erase-customer.js';
import { eraseClickhouse, erasePostgres } from '../../sinks/erase-customer.js';
import { pgError } from '../../sinks/postgres/errors.js';
import { POSTGRES_SINK_SCHEMA } from '../../sinks/postgres/raw/config.js';

export function registerCustomer(program: Command): void {
  const customer = program.command('customer').description('personal data of one customer (customer_id)');
  customer
    .command('erase <customerId>')
    .description(
      'delete every raw event of a customer from Postgres (sales_raw, detached days, the Connect table) and ClickHouse; Kafka drops them at its retention',
    )
    .option('--schema <name>', 'Postgres schema (default public)')
    .option('--dry-run', 'count the rows, delete nothing')
    .action(async (customerId: string, opts: { schema?: string; dryRun?: boolean }) => {
      const dryRun = opts.dryRun ?? false;
      const pgConfig = resolveConfig('sink-postgres', POSTGRES_SINK_SCHEMA, { schema: opts.schema });
      const connectTable = resolveConfig('connect', CONNECT_SCHEMA, {}).table;
      const results: ErasedTable[] = [];
      const client = pgClient(pgConfig.databaseUrl);
      try {
        await client.connect();
        results.push(
          ...(await erasePostgres(client, { schema: pgConfig.schema, customerId, connectTable, dryRun })),
        );
      } catch (err) {
        throw pgError('could not erase the customer in Postgres', err);
      } finally {
        await client.end().catch(() => undefined);
      }
      const ch = resolveConfig('sink-clickhouse', CLICKHOUSE_SINK_SCHEMA, {});
      if (ch.url) {
        const chClient = await createClickhouseClient({ url: ch.url });
        try {
          results.push(await eraseClickhouse(chClient, { database: ch.database, customerId, dryRun }));
        } finally {
          await chClient.close();
        }
      } else {
        console.log('clickhouse: CLICKHOUSE_URL not set, skipped');
      }
      for (const r of results)
        console.log(`${dryRun ? 'would delete' : 'deleted'} ${r.rows} rows from ${r.table}`);
      console.log('kafka: the raw, DLQ and late topics keep them until their retention (7 days by default)');
    });
}
