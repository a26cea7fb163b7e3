/** Generated once per stack and kept in .stack/secrets.env (mode 600); never printed. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseEnvFile, formatEnvFile } from '../lib/env-file.js';
import { generateToken } from '../lib/http/tokens.js';

const NEEDED = [
  'POSTGRES_SUPERUSER_PASSWORD',
  // The owner of the `retail` database: migrations (`make up`, `retail-etl pg migrate`) only.
  'POSTGRES_APP_PASSWORD',
  // One login role per process that talks to Postgres (stack/postgres-roles.ts).
  'POSTGRES_SINK_PASSWORD',
  'POSTGRES_AGG_SINK_PASSWORD',
  'POSTGRES_READER_PASSWORD',
  'POSTGRES_CONNECT_PASSWORD',
  // prometheus-postgres-exporter's login (pg_monitor only; stack/components/postgres-exporter.ts).
  'POSTGRES_MONITOR_PASSWORD',
  // Basic auth of Kafka Connect's REST API (stack/components/kafka-connect.ts).
  'KAFKA_CONNECT_PASSWORD',
  // The native ClickHouse's `default` user (the owner) and one user per process (stack/components/clickhouse.ts).
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_SINK_PASSWORD',
  'CLICKHOUSE_AGG_SINK_PASSWORD',
  'CLICKHOUSE_READER_PASSWORD',
  // Grafana's admin (Docker Compose only).
  'GRAFANA_ADMIN_PASSWORD',
] as const;

/** The HTTP API's tokens, one per scope (docs/security.md); clients find them in .stack/env. */
export const API_TOKEN_VARIABLES = [
  'RETAIL_TOKEN_INGEST',
  'RETAIL_TOKEN_READ',
  'RETAIL_TOKEN_CONTROL',
] as const;

/** The API tokens of `secrets`, for the stack's env file (and so for `serve` and every client). */
export function apiTokens(secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(API_TOKEN_VARIABLES.map((k) => [k, secrets[k] ?? '']));
}

export function loadOrCreateSecrets(file: string): Record<string, string> {
  const secrets = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const key of NEEDED) {
    if (!secrets[key]) {
      secrets[key] = randomBytes(16).toString('hex');
      changed = true;
    }
  }
  for (const key of API_TOKEN_VARIABLES) {
    if (!secrets[key]) {
      secrets[key] = generateToken();
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, formatEnvFile(secrets), { mode: 0o600 });
  }
  return secrets;
}
