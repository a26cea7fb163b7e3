/**
 * The `retail-etl` command tree. Each command group lives in cli/commands/<group>.ts; this file
 * only wires them together, so `retail-etl --help` lists every command.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../stack/paths.js';
import { registerStack } from './commands/stack.js';
import { registerProducer } from './commands/producer.js';
import { registerServe } from './commands/serve.js';
import { registerProcessor } from './commands/processor.js';
import { registerSink } from './commands/sink.js';
import { registerDlq } from './commands/dlq.js';
import { registerPg } from './commands/pg.js';
import { registerConnect } from './commands/connect.js';
import { registerConfig } from './commands/config.js';
import { registerClickhouse } from './commands/clickhouse.js';
import { registerBackup } from './commands/backup.js';
import { registerSecrets } from './commands/secrets.js';
import { registerCustomer } from './commands/customer.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('retail-etl')
    .description(
      'Streaming retail ETL: a synthetic producer and HTTP ingest into Kafka (Avro), event-time processors,\n' +
        'and exactly-once sinks into Postgres and ClickHouse. After `make up`, every command reads .stack/env.',
    )
    .version(version(), '-V, --version')
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStack(program);
  registerProducer(program);
  registerServe(program);
  registerProcessor(program);
  registerSink(program);
  registerDlq(program);
  registerPg(program);
  registerConnect(program);
  registerClickhouse(program);
  registerBackup(program);
  registerSecrets(program);
  registerCustomer(program);
  registerConfig(program);
  return program;
}
