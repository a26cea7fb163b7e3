/**
 * The Docker path: when an engine answers, `make up` runs docker-compose.yml instead of the
 * native stack. Same interface, same `.stack/env`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import { formatEnvFile } from '../lib/env-file.js';
import { HOST, PORTS } from '../lib/ports.js';
import type { StackContext } from './component.js';
import { which } from './process.js';
import { apiTokens } from './secrets.js';

export function dockerEngineAnswers(): boolean {
  if (!which('docker')) return false;
  const res = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return res.status === 0 && res.stdout.trim() !== '';
}

function compose(ctx: StackContext, args: string[]): string {
  // Every compose command substitutes the generated passwords (up, ps and down alike).
  writeComposeEnv(ctx);
  const viaPlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  const [cmd, base] = viaPlugin ? ['docker', ['compose']] : ['docker-compose', []];
  const res = spawnSync(cmd, [...base, ...args], {
    cwd: ctx.paths.root,
    // The API tokens reach the services through compose's ${RETAIL_TOKEN_*} interpolation.
    env: { ...process.env, ...apiTokens(ctx.secrets) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.status !== 0) {
    throw new EtlError(
      'COMPONENT_START_FAILED',
      `${cmd} ${[...base, ...args].join(' ')} failed:\n${(res.stderr ?? '').trim().split('\n').slice(-20).join('\n')}`,
      {
        hint: 'see `docker compose logs` for the failing service',
      },
    );
  }
  return res.stdout;
}

/** The secrets docker-compose.yml reads from `.env` (no defaults there: a missing one stops compose). */
export const COMPOSE_SECRETS = [
  'POSTGRES_SUPERUSER_PASSWORD',
  'POSTGRES_APP_PASSWORD',
  'POSTGRES_SINK_PASSWORD',
  'POSTGRES_AGG_SINK_PASSWORD',
  'POSTGRES_READER_PASSWORD',
  'POSTGRES_CONNECT_PASSWORD',
  'POSTGRES_MONITOR_PASSWORD',
  // ClickHouse's users (stack/assets/clickhouse/users.xml reads them from the server's environment).
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_SINK_PASSWORD',
  'CLICKHOUSE_AGG_SINK_PASSWORD',
  'CLICKHOUSE_READER_PASSWORD',
  'KAFKA_CONNECT_PASSWORD',
  'GRAFANA_ADMIN_PASSWORD',
] as const;

/** `.env` beside docker-compose.yml: the stack's generated secrets compose substitutes (mode 600). */
export function writeComposeEnv(ctx: StackContext): string {
  const file = join(ctx.paths.root, '.env');
  const values = Object.fromEntries(COMPOSE_SECRETS.map((k) => [k, ctx.secrets[k] ?? '']));
  writeFileSync(
    file,
    formatEnvFile(values, 'written by `retail-etl stack up` for docker compose; never commit it'),
    {
      mode: 0o600,
    },
  );
  chmodSync(file, 0o600);
  return file;
}

export function dockerEnv(ctx: StackContext): Record<string, string> {
  const pw = (k: string) => ctx.secrets[k] ?? '';
  const pg = (user: string, secret: string, db = 'retail') =>
    `postgres://${user}:${pw(secret)}@${HOST}:${PORTS.postgres}/${db}`;
  const ch = (user: string, secret: string) => `http://${user}:${pw(secret)}@${HOST}:${PORTS.clickhouse}`;
  return {
    STACK_MODE: 'docker',
    KAFKA_BROKERS: `${HOST}:${PORTS.kafka}`,
    SCHEMA_REGISTRY_URL: `http://${HOST}:${PORTS.schemaRegistry}/apis/ccompat/v7`,
    DATABASE_URL: pg('retail', 'POSTGRES_APP_PASSWORD'),
    DATABASE_ADMIN_URL: pg('postgres', 'POSTGRES_SUPERUSER_PASSWORD', 'postgres'),
    SINK_POSTGRES_DATABASE_URL: pg('retail_sink', 'POSTGRES_SINK_PASSWORD'),
    SINK_AGGREGATES_DATABASE_URL: pg('retail_agg_sink', 'POSTGRES_AGG_SINK_PASSWORD'),
    QUERY_DATABASE_URL: pg('retail_reader', 'POSTGRES_READER_PASSWORD'),
    CONNECT_DATABASE_URL: pg('retail_connect', 'POSTGRES_CONNECT_PASSWORD'),
    CLICKHOUSE_URL: ch('default', 'CLICKHOUSE_PASSWORD'),
    CLICKHOUSE_SINK_URL: ch('retail_sink', 'CLICKHOUSE_SINK_PASSWORD'),
    CLICKHOUSE_AGG_SINK_URL: ch('retail_agg_sink', 'CLICKHOUSE_AGG_SINK_PASSWORD'),
    QUERY_CLICKHOUSE_URL: ch('retail_reader', 'CLICKHOUSE_READER_PASSWORD'),
    PROMETHEUS_URL: `http://${HOST}:${PORTS.prometheus}`,
    GRAFANA_URL: `http://${HOST}:${PORTS.grafana}`,
    KAFKA_CONNECT_URL: `http://connect:${pw('KAFKA_CONNECT_PASSWORD')}@${HOST}:${PORTS.kafkaConnect}`,
    PIPELINE_URL: `http://${HOST}:${PORTS.pipelineHttp}`,
  };
}

export function dockerUp(ctx: StackContext): Record<string, string> {
  ctx.progress('docker: docker compose up -d --wait …');
  compose(ctx, ['up', '-d', '--wait']);
  const env = { ...dockerEnv(ctx), ...apiTokens(ctx.secrets) };
  writeFileSync(ctx.paths.envFile, formatEnvFile(env, 'written by `retail-etl stack up` (docker)'), {
    mode: 0o600,
  });
  return env;
}

export function dockerDown(ctx: StackContext): void {
  compose(ctx, ['down']);
}

export function dockerPs(ctx: StackContext): string {
  return compose(ctx, ['ps']);
}
