/** `retail-etl sink aggregates [--target postgres|clickhouse]` — the aggregate tables (docs/aggregates.md). */
import type { Command } from 'commander';
import { createLogger } from '../../lib/logger.js';
import { startAggregatesProcess } from '../../sinks/aggregates/run.js';
import { runUntilStopped } from '../../sinks/core/process.js';

interface AggOpts {
  target?: string;
  group?: string;
  maxBatchRows?: string;
  maxWaitMs?: string;
  metricsPort?: string;
  schema?: string;
  chdbPath?: string;
  database?: string;
}

async function run(opts: AggOpts): Promise<void> {
  const proc = await startAggregatesProcess({
    target: opts.target,
    groupId: opts.group,
    maxBatchRows: opts.maxBatchRows,
    maxWaitMs: opts.maxWaitMs,
    metricsPort: opts.metricsPort,
    schema: opts.schema,
    chdbPath: opts.chdbPath,
    database: opts.database,
  });
  await runUntilStopped(proc, createLogger(`sink-aggregates-${proc.config.target}`));
}

export function registerSinkAggregates(sink: Command): void {
  sink
    .command('aggregates')
    .description(
      'the aggregate topics into sales_hourly, top_skus, store_rolling_1h (read_committed, exactly once)',
    )
    .option('--target <target>', 'postgres | clickhouse (default postgres)')
    .option('--group <id>', 'consumer group (default retail-sink-aggregates-<target>)')
    .option('--max-batch-rows <n>', 'flush at this many buffered records')
    .option('--max-wait-ms <ms>', 'flush when the oldest buffered record waited this long')
    .option('--metrics-port <port>', '/metrics port (default 9405 postgres, 9406 clickhouse; 0 = any)')
    .option('--schema <name>', 'Postgres schema (default public)')
    .option('--chdb-path <dir>', 'ClickHouse: the in-process chdb engine at this directory (no server)')
    .option('--database <db>', 'ClickHouse database (default default)')
    .action((opts: AggOpts) => run(opts));
}
