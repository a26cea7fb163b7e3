/**
 * `retail-etl connect apply`: create the target table, put the password where the worker's file
 * provider reads it, and create or update the connector through the REST API. Idempotent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../errors.js';
import type { ConnectOptions, ConnectorSpec } from './connector.js';
import {
  apicurioCoreUrl,
  connectConfigDir,
  jdbcTarget,
  passwordKey,
  renderConnector,
  storeSecret,
  tableSql,
} from './connector.js';
import { ConnectClient } from './rest.js';
import { pgClient } from '../postgres/connection.js';

export const CONNECTOR_TEMPLATE = 'sales-raw-jdbc-sink.json';
export const TABLE_TEMPLATE = 'sales_raw_connect.sql';

export interface ApplyInput {
  options: ConnectOptions;
  /** The owner's (migrator's) URL: creates the table and grants the connector's role its rights. */
  databaseUrl: string | undefined;
  /** The connector's own login (CONNECT_DATABASE_URL); default: databaseUrl. */
  connectDatabaseUrl?: string | undefined;
  schemaRegistryUrl: string | undefined;
  /** The project root (connect-config/ lives there). */
  root: string;
  /** The worker's secrets file (inside the file provider's allowed paths). */
  secretsFile: string;
}

export interface ApplyResult {
  created: boolean;
  spec: ConnectorSpec;
}

function required(name: string, value: string | undefined): string {
  if (!value) {
    throw new EtlError('STACK_NOT_RUNNING', `${name} is not set`, {
      hint: 'run `make up` (it writes .stack/env) or set it in the environment',
    });
  }
  return value;
}

/**
 * Create the table as the owner; when the connector logs in as another role, that role gets what
 * the upsert needs on this table and nothing else.
 */
export async function createTargetTable(
  databaseUrl: string,
  table: string,
  root: string,
  writer?: string,
): Promise<void> {
  const sql = tableSql(readFileSync(join(connectConfigDir(root), TABLE_TEMPLATE), 'utf8'), table);
  const client = pgClient(databaseUrl);
  try {
    await client.connect();
    await client.query(sql);
    const owner = decodeURIComponent(new URL(databaseUrl).username);
    if (writer && writer !== owner) {
      // `table` is validated (resolveConnectOptions); the role name is quoted.
      await client.query(`GRANT SELECT, INSERT, UPDATE ON ${table} TO "${writer.replace(/"/g, '""')}"`);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new EtlError('POSTGRES_ERROR', `could not create table ${table}: ${(err as Error).message}`, {
      retriable: code === undefined || code.startsWith('08') || code.startsWith('57'),
      serverCode: code,
      cause: err,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The connector spec for these options, the password stored for the worker (not rendered). */
export function buildSpec(input: ApplyInput): ConnectorSpec {
  const databaseUrl = input.connectDatabaseUrl ?? required('DATABASE_URL', input.databaseUrl);
  const { password, ...target } = jdbcTarget(databaseUrl);
  const registryUrl =
    input.options.registryUrl ?? apicurioCoreUrl(required('SCHEMA_REGISTRY_URL', input.schemaRegistryUrl));
  const passwordRef = storeSecret(input.secretsFile, passwordKey(input.options.name), password);
  const template = readFileSync(join(connectConfigDir(input.root), CONNECTOR_TEMPLATE), 'utf8');
  return renderConnector(template, { options: input.options, target, registryUrl, passwordRef });
}

export async function applyConnector(input: ApplyInput): Promise<ApplyResult> {
  const spec = buildSpec(input);
  const writer = input.connectDatabaseUrl ? spec.config['connection.username'] : undefined;
  await createTargetTable(
    required('DATABASE_URL', input.databaseUrl),
    input.options.table,
    input.root,
    writer,
  );
  const created = await new ConnectClient(input.options.connectUrl).putConfig(spec.name, spec.config);
  return { created, spec };
}
