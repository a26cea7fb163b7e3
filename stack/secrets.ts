/** Generated once per stack and kept in .stack/secrets.env (mode 600); never printed. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseEnvFile, formatEnvFile } from '../lib/env-file.js';

const NEEDED = [
  'POSTGRES_SUPERUSER_PASSWORD',
  // The owner of the `retail` database: migrations (`make up`, `retail-etl pg migrate`) only.
  'POSTGRES_APP_PASSWORD',
  // One login role per process that talks to Postgres (stack/postgres-roles.ts).
  'POSTGRES_SINK_PASSWORD',
  'POSTGRES_AGG_SINK_PASSWORD',
  'POSTGRES_READER_PASSWORD',
  'POSTGRES_CONNECT_PASSWORD',
  // Basic auth of Kafka Connect's REST API (stack/components/kafka-connect.ts).
  'KAFKA_CONNECT_PASSWORD',
  // The native ClickHouse's `default` user (stack/components/clickhouse.ts).
  'CLICKHOUSE_PASSWORD',
  // Grafana's admin (Docker Compose only).
  'GRAFANA_ADMIN_PASSWORD',
] as const;

export function loadOrCreateSecrets(file: string): Record<string, string> {
  const secrets = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const key of NEEDED) {
    if (!secrets[key]) {
      secrets[key] = randomBytes(16).toString('hex');
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, formatEnvFile(secrets), { mode: 0o600 });
  }
  return secrets;
}
