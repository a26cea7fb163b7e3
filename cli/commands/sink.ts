/** `retail-etl sink postgres|clickhouse` — run a sink until SIGTERM (flush, commit, exit 0). */
import type { Command } from 'commander';
import { createLogger } from '../../lib/logger.js';
import { runUntilStopped } from '../../sinks/core/process.js';
import { startSinkProcess } from '../../sinks/raw/run.js';
import type { SinkKind } from '../../sinks/raw/run.js';
import { registerSinkAggregates } from './sink-aggregates.js';

interface SinkOpts {
  group?: string;
  topic?: string;
  maxBatchRows?: string;
  maxWaitMs?: string;
  metricsPort?: string;
  schema?: string;
  copyFormat?: string;
  chdbPath?: string;
  database?: string;
}

async function runSink(kind: SinkKind, opts: SinkOpts): Promise<void> {
  const options: Record<string, unknown> = {
    groupId: opts.group,
    topic: opts.topic,
    maxBatchRows: opts.maxBatchRows,
    maxWaitMs: opts.maxWaitMs,
    metricsPort: opts.metricsPort,
  };
  if (kind === 'postgres') Object.assign(options, { schema: opts.schema, copyFormat: opts.copyFormat });
  else Object.assign(options, { chdbPath: opts.chdbPath, database: opts.database });
  const proc = await startSinkProcess(kind, options);
  await runUntilStopped(proc, createLogger(`sink-${kind}`));
}

function common(cmd: Command): Command {
  return cmd
    .option('--group <id>', 'consumer group (default retail-sink-<sink>)')
    .option('--topic <topic>', 'topic to consume (default retail.sales.v1)')
    .option('--max-batch-rows <n>', 'flush at this many buffered rows')
    .option('--max-wait-ms <ms>', 'flush when the oldest buffered record waited this long')
    .option('--metrics-port <port>', '/metrics port (0 = any free port)');
}

export function registerSink(program: Command): void {
  const sink = program
    .command('sink')
    .description('exactly-once sinks from retail.sales.v1 (docs/sinks.md); stop with SIGTERM');
  common(
    sink
      .command('postgres')
      .description('COPY into the day-partitioned sales_raw, offsets in the same transaction'),
  )
    .option('--schema <name>', 'Postgres schema (default public)')
    .option('--copy-format <fmt>', 'binary | text')
    .action((opts: SinkOpts) => runSink('postgres', opts));
  common(
    sink.command('clickhouse').description('insert into ClickHouse sales_raw with per-range dedup tokens'),
  )
    .option('--chdb-path <dir>', 'use the in-process chdb engine at this directory (no server)')
    .option('--database <db>', 'ClickHouse database (default default)')
    .action((opts: SinkOpts) => runSink('clickhouse', opts));
  registerSinkAggregates(sink);
}
