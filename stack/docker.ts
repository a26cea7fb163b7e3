/**
 * The Docker path: when an engine answers, `make up` runs docker-compose.yml instead of the
 * native stack. Same interface, same `.stack/env`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

export function dockerEnv(): Record<string, string> {
  return {
    STACK_MODE: 'docker',
    KAFKA_BROKERS: `${HOST}:${PORTS.kafka}`,
    SCHEMA_REGISTRY_URL: `http://${HOST}:${PORTS.schemaRegistry}/apis/ccompat/v7`,
    DATABASE_URL: `postgres://retail:retail@${HOST}:${PORTS.postgres}/retail`,
    DATABASE_ADMIN_URL: `postgres://postgres:postgres@${HOST}:${PORTS.postgres}/postgres`,
    CLICKHOUSE_URL: `http://${HOST}:${PORTS.clickhouse}`,
    PROMETHEUS_URL: `http://${HOST}:${PORTS.prometheus}`,
    GRAFANA_URL: `http://${HOST}:${PORTS.grafana}`,
    PIPELINE_URL: `http://${HOST}:${PORTS.pipelineHttp}`,
  };
}

export function dockerUp(ctx: StackContext): Record<string, string> {
  ctx.progress('docker: docker compose up -d --wait …');
  compose(ctx, ['up', '-d', '--wait']);
  const env = { ...dockerEnv(), ...apiTokens(ctx.secrets) };
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
