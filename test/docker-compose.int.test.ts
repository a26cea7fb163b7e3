/**
 * docker-compose.yml is valid (Debian's docker-compose parses it with no engine) and every service
 * docs/stack.md names is there with a healthcheck (one-shot jobs excepted). It holds no default
 * password: without the generated `.env` compose refuses to run, naming the variable; with one,
 * each pipeline service gets only its own database login, Grafana its generated admin password and
 * no anonymous access, Prometheus no lifecycle API, Kafka Connect's REST API basic auth; each
 * ClickHouse client its own user (stack/assets/clickhouse/users.xml).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_SECRETS } from '../stack/docker.js';
import { projectRoot } from '../stack/paths.js';

interface Service {
  healthcheck?: { test?: unknown };
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const envFile = join(dir, 'env');
const secret = (k: string) => `gen-${k.toLowerCase()}`;
writeFileSync(envFile, COMPOSE_SECRETS.map((k) => `${k}=${secret(k)}`).join('\n') + '\n');
const empty = join(dir, 'empty');
writeFileSync(empty, '');

function compose(file: string, ...args: string[]) {
  return spawnSync('docker-compose', ['--env-file', file, '-f', 'docker-compose.yml', ...args], {
    cwd: projectRoot(),
    encoding: 'utf8',
  });
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config` and every long-running service has a healthcheck', () => {
    const res = compose(envFile, 'config');
    expect(res.status, res.stderr).toBe(0);
    const services = compose(envFile, 'config', '--services').stdout.trim().split('\n');
    for (const name of [
      'kafka',
      'schema-registry',
      'postgres',
      'clickhouse',
      'prometheus',
      'grafana',
      'kafka-connect',
      'migrate',
      'serve',
      'producer',
      'sink-postgres',
      'sink-clickhouse',
      'sink-aggregates',
      'sink-aggregates-clickhouse',
      'processors',
    ]) {
      expect(services).toContain(name);
    }
    // Every service of the resolved config carries a healthcheck, but the one-shot migration.
    const config = parse(res.stdout) as { services: Record<string, Service> };
    const withoutHealth = Object.entries(config.services)
      .filter(([, s]) => !s.healthcheck?.test && s.restart !== 'no')
      .map(([n]) => n);
    expect(withoutHealth).toEqual([]);
    expect(config.services['migrate']?.restart).toBe('no');
    expect(config.services['clickhouse-migrate']?.restart).toBe('no');
  });

  it('gives each ClickHouse client its own user; the sinks wait for the owner’s migration', () => {
    const config = parse(compose(envFile, 'config').stdout) as {
      services: Record<string, Service & { depends_on?: Record<string, { condition: string }> }>;
    };
    const env = (name: string) => config.services[name]?.environment ?? {};
    const login = (name: string, key = 'CLICKHOUSE_URL') => {
      const u = new URL(env(name)[key] ?? 'http://none@x');
      return `${u.username}:${u.password}`;
    };
    expect(login('clickhouse-migrate')).toBe(`default:${secret('CLICKHOUSE_PASSWORD')}`);
    expect(login('sink-clickhouse')).toBe(`retail_sink:${secret('CLICKHOUSE_SINK_PASSWORD')}`);
    expect(login('sink-aggregates-clickhouse')).toBe(
      `retail_agg_sink:${secret('CLICKHOUSE_AGG_SINK_PASSWORD')}`,
    );
    expect(login('serve', 'QUERY_CLICKHOUSE_URL')).toBe(
      `retail_reader:${secret('CLICKHOUSE_READER_PASSWORD')}`,
    );
    for (const name of ['serve', 'producer', 'processors', 'sink-postgres', 'sink-aggregates'])
      expect(env(name)['CLICKHOUSE_URL'], name).toBeUndefined();
    expect(env('clickhouse')['CLICKHOUSE_READER_PASSWORD']).toBe(secret('CLICKHOUSE_READER_PASSWORD'));
    for (const name of ['sink-clickhouse', 'sink-aggregates-clickhouse'])
      expect(config.services[name]?.depends_on?.['clickhouse-migrate']?.condition, name).toBe(
        'service_completed_successfully',
      );
  });

  it('has no default password: without the generated .env it refuses, naming the variable', () => {
    const res = compose(empty, 'config');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/POSTGRES_\w+_PASSWORD|GRAFANA_ADMIN_PASSWORD/);
    expect(res.stderr).toContain('run make up');
  });

  it('gives each service only its own database login; Grafana and Prometheus locked down', () => {
    const config = parse(compose(envFile, 'config').stdout) as { services: Record<string, Service> };
    const env = (name: string) => config.services[name]?.environment ?? {};
    const dbUrls = (name: string) =>
      Object.entries(env(name))
        .filter(([k]) => k.endsWith('DATABASE_URL') || k === 'DATABASE_ADMIN_URL')
        .map(([k, v]) => `${k}=${new URL(v).username}`);
    expect(dbUrls('migrate')).toEqual(['DATABASE_URL=retail']);
    expect(dbUrls('sink-postgres')).toEqual(['DATABASE_URL=retail_sink']);
    expect(dbUrls('sink-aggregates')).toEqual(['DATABASE_URL=retail_agg_sink']);
    expect(dbUrls('serve')).toEqual(['QUERY_DATABASE_URL=retail_reader']);
    for (const name of ['producer', 'processors', 'sink-clickhouse', 'sink-aggregates-clickhouse'])
      expect(dbUrls(name), name).toEqual([]);
    expect(new URL(env('sink-postgres')['DATABASE_URL'] ?? '').password).toBe(
      secret('POSTGRES_SINK_PASSWORD'),
    );
    expect(env('postgres')['POSTGRES_PASSWORD']).toBe(secret('POSTGRES_SUPERUSER_PASSWORD'));
    expect(env('grafana')).toMatchObject({
      GF_SECURITY_ADMIN_PASSWORD: secret('GRAFANA_ADMIN_PASSWORD'),
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
    });
    expect(config.services['prometheus']?.command).not.toContain('--web.enable-lifecycle');
    expect(env('kafka-connect')['CONNECT_CONNECTOR_CLIENT_CONFIG_OVERRIDE_POLICY']).toBe('None');
    // Connect's REST API asks for basic auth with the generated password; serve knows it.
    expect(env('kafka-connect')['CONNECT_REST_EXTENSION_CLASSES']).toMatch(/BasicAuthSecurityRestExtension$/);
    expect(env('kafka-connect')['KAFKA_CONNECT_PASSWORD']).toBe(secret('KAFKA_CONNECT_PASSWORD'));
    const connectUrl = new URL(env('serve')['KAFKA_CONNECT_URL'] ?? '');
    expect([connectUrl.username, connectUrl.password]).toEqual(['connect', secret('KAFKA_CONNECT_PASSWORD')]);
  });
});
