/**
 * `retail-etl connect start|stop|apply|status|delete` — Kafka Connect with the Debezium JDBC sink,
 * the baseline our Postgres sink is measured against (docs/connect.md).
 */
import type { Command } from 'commander';
import { applyConnector } from '../../lib/connect/apply.js';
import { resolveConnectOptions } from '../../lib/connect/connector.js';
import { ConnectClient, failureOf, isRunning } from '../../lib/connect/rest.js';
import type { ConnectorState } from '../../lib/connect/rest.js';
import { EtlError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import {
  CONNECT_URL,
  connectDirs,
  connectWorkerState,
  startConnectWorker,
  stopConnectWorker,
} from '../../stack/components/kafka-connect.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { progress } from '../output.js';
import { CONNECT_DATABASE_URL, DATABASE_URL, readSetting, sharedSetting } from '../../lib/config/index.js';

interface ApplyFlags {
  name?: string;
  topic?: string;
  table?: string;
  tasks?: string;
  batchSize?: string;
  dlqTopic?: string;
}

function describe(state: ConnectorState): string[] {
  const lines = [`${state.name}: connector ${state.connector.state} on ${state.connector.worker_id}`];
  for (const t of state.tasks) lines.push(`  task ${t.id}: ${t.state} on ${t.worker_id}`);
  if (state.tasks.length === 0) lines.push('  no tasks yet');
  const failure = failureOf(state);
  if (failure) lines.push(`  failure: ${failure}`);
  return lines;
}

export function registerConnect(program: Command): void {
  const cmd = program
    .command('connect')
    .description('Kafka Connect + Debezium JDBC sink: the comparison baseline (not part of `make up`)');

  cmd
    .command('start')
    .description(`start the native Kafka Connect worker on ${CONNECT_URL} (fetches its jars on first use)`)
    .action(async () => {
      const ctx = stackContext(stackPaths(), progress);
      const started = await startConnectWorker(ctx);
      const state = await connectWorkerState(ctx);
      console.log(
        `kafka-connect ${started ? 'started' : 'already running'} (pid ${state.pid ?? '?'}) at ${CONNECT_URL}; log: ${ctx.paths.logs}/kafka-connect.log`,
      );
    });

  cmd
    .command('stop')
    .description('stop the worker `connect start` started (its connectors stay registered in Kafka)')
    .action(async () => {
      const ctx = stackContext(stackPaths(), progress);
      console.log((await stopConnectWorker(ctx)) ? 'kafka-connect stopped' : 'kafka-connect is not running');
    });

  cmd
    .command('apply')
    .description('create the target table and create or update the JDBC sink connector (idempotent)')
    .option('--name <name>', 'connector name (default sales-raw-jdbc-sink)')
    .option('--topic <topic>', 'topic to drain (default retail.sales.v1)')
    .option('--table <table>', 'Postgres table to write (default sales_raw_connect)')
    .option('--tasks <n>', 'tasks.max (default 1)')
    .option('--batch-size <n>', 'rows per JDBC batch and records per poll (default 2000)')
    .option('--dlq-topic <topic>', 'dead-letter topic (default retail.sales.connect-dlq)')
    .action(async (o: ApplyFlags) => {
      const options = resolveConnectOptions({ ...o });
      const paths = stackPaths();
      const result = await applyConnector({
        options,
        databaseUrl: readSetting('connect', DATABASE_URL),
        connectDatabaseUrl: readSetting('connect', CONNECT_DATABASE_URL),
        schemaRegistryUrl: sharedSetting('schemaRegistryUrl'),
        root: paths.root,
        secretsFile: connectDirs(stackContext(paths, progress)).secrets,
      });
      const c = result.spec.config;
      console.log(
        `connector ${result.spec.name} ${result.created ? 'created' : 'updated'}: ${c['topics']} → ${redact(c['connection.url'] ?? '')} table ${options.table} (${options.tasks} task(s), batch ${options.batchSize}, ${c['insert.mode']} on ${c['primary.key.fields']})`,
      );
      console.log(`watch it: retail-etl connect status --name ${result.spec.name}`);
    });

  cmd
    .command('status')
    .description('connector and task states (exit 1 unless every connector and task is RUNNING)')
    .option('--name <name>', 'one connector (default: every connector on the worker)')
    .option('--json', 'machine-readable output')
    .action(async (o: { name?: string; json?: boolean }) => {
      const { connectUrl } = resolveConnectOptions({});
      const client = new ConnectClient(connectUrl);
      const names = o.name ? [o.name] : await client.list();
      const states = await Promise.all(names.map((n) => client.status(n)));
      if (o.name && states[0] === undefined) {
        throw new EtlError('INVALID_ARGUMENT', `no connector named "${o.name}" on ${connectUrl}`, {
          hint: 'create it with `retail-etl connect apply`',
        });
      }
      const found = states.filter((s): s is ConnectorState => s !== undefined);
      if (o.json) console.log(JSON.stringify(found, null, 2));
      else if (found.length === 0) console.log(`no connectors on ${connectUrl}`);
      else for (const s of found) console.log(describe(s).join('\n'));
      if (!found.every(isRunning)) process.exitCode = 1;
    });

  cmd
    .command('delete')
    .description('remove a connector from the worker (its table stays)')
    .requiredOption('--name <name>', 'connector name')
    .action(async (o: { name: string }) => {
      const { connectUrl } = resolveConnectOptions({});
      const removed = await new ConnectClient(connectUrl).remove(o.name);
      console.log(removed ? `connector ${o.name} deleted` : `no connector named ${o.name}`);
    });
}
