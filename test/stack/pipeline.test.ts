/**
 * No pipeline process's environment holds a URL or credential it does not use: the environment
 * `make up` builds for each process (stack/pipeline.ts) from the stack's real `.stack/env`
 * contents (stack/native.ts infraEnv, passwords generated into a directory of this test's own),
 * started from a shell that sourced `.stack/env` — the worst case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackContext } from '../../stack/component.js';
import { infraEnv } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { PIPELINE_SERVICES, serviceEnv } from '../../stack/pipeline.js';
import { loadOrCreateSecrets } from '../../stack/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'pipeline-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx: StackContext = {
  paths: {
    ...stackPaths(),
    stack: dir,
    run: join(dir, 'run'),
    data: join(dir, 'data'),
    conf: join(dir, 'conf'),
  },
  secrets: loadOrCreateSecrets(join(dir, 'secrets.env')),
  progress: () => undefined,
};
const stack: Record<string, string> = {
  ...infraEnv(ctx),
  CLICKHOUSE_URL: 'http://ch:secret-ch@127.0.0.1:8123',
};

/** What each process gets of the stack's environment, and which generated secret it may hold. */
const EXPECTED: Record<string, { vars: string[]; secrets: string[] }> = {
  'sink-postgres': {
    vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'PGSSLROOTCERT', 'DATABASE_URL'],
    secrets: ['POSTGRES_SINK_PASSWORD'],
  },
  'sink-aggregates': {
    vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'PGSSLROOTCERT', 'DATABASE_URL'],
    secrets: ['POSTGRES_AGG_SINK_PASSWORD'],
  },
  'sink-clickhouse': {
    vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'CLICKHOUSE_URL'],
    secrets: ['CLICKHOUSE_SINK_PASSWORD'],
  },
  'sink-aggregates-clickhouse': {
    vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'CLICKHOUSE_URL'],
    secrets: ['CLICKHOUSE_AGG_SINK_PASSWORD'],
  },
  processors: { vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'], secrets: [] },
  producer: { vars: ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'], secrets: [] },
  serve: {
    vars: [
      'KAFKA_BROKERS',
      'SCHEMA_REGISTRY_URL',
      'PGSSLROOTCERT',
      'QUERY_DATABASE_URL',
      'QUERY_CLICKHOUSE_URL',
      'PROMETHEUS_URL',
      'KAFKA_CONNECT_URL',
      'RETAIL_TOKEN_INGEST',
      'RETAIL_TOKEN_READ',
      'RETAIL_TOKEN_CONTROL',
    ],
    secrets: [
      'POSTGRES_READER_PASSWORD',
      'CLICKHOUSE_READER_PASSWORD',
      'KAFKA_CONNECT_PASSWORD',
      'RETAIL_TOKEN_INGEST',
      'RETAIL_TOKEN_READ',
      'RETAIL_TOKEN_CONTROL',
    ],
  },
};

describe('pipeline processes’ environments', () => {
  // A shell that sourced .stack/env, plus a variable of its own that must pass through.
  const shell = { ...stack, PATH: '/usr/bin:/bin', HOME: '/root' };

  it('every service is listed here', () => {
    expect(PIPELINE_SERVICES.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const service of PIPELINE_SERVICES) {
    it(`${service.name}: only the stack variables and the generated secrets it uses`, () => {
      const env = serviceEnv(service, stack, {}, shell);
      const expected = EXPECTED[service.name]!;
      const stackVarsSeen = Object.keys(env).filter(
        (k) => k in stack || k.endsWith('_URL') || k === 'KAFKA_BROKERS',
      );
      expect(stackVarsSeen.sort()).toEqual([...expected.vars].sort());
      const values = Object.values(env).join('\n');
      const held = Object.entries(ctx.secrets)
        .filter(([, secret]) => values.includes(secret))
        .map(([name]) => name);
      expect(held.sort()).toEqual(expected.secrets.filter((s) => s in ctx.secrets).sort());
      // The owner's and the superuser's passwords reach no process.
      expect(values).not.toContain(ctx.secrets['POSTGRES_APP_PASSWORD']);
      expect(values).not.toContain(ctx.secrets['POSTGRES_SUPERUSER_PASSWORD']);
      // Nor ClickHouse's owner's (the stack's CLICKHOUSE_URL): each ClickHouse client has its own user.
      expect(values).not.toContain('secret-ch');
      expect(values).not.toContain(ctx.secrets['CLICKHOUSE_PASSWORD']);
      expect(env['PATH']).toBe('/usr/bin:/bin');
    });
  }

  it('the Postgres sinks log in as their own roles and never migrate', () => {
    for (const [name, key] of [
      ['sink-postgres', 'SINK_POSTGRES_DATABASE_URL'],
      ['sink-aggregates', 'SINK_AGGREGATES_DATABASE_URL'],
    ] as const) {
      const service = PIPELINE_SERVICES.find((s) => s.name === name)!;
      const env = serviceEnv(service, stack, {}, { ...shell, SINK_POSTGRES_MIGRATE: 'true' });
      expect(env['DATABASE_URL']).toBe(stack[key]);
      expect(env['SINK_POSTGRES_MIGRATE']).toBe('false');
      expect(env['SINK_AGGREGATES_MIGRATE']).toBe('false');
    }
  });

  it('the ClickHouse sinks log in as their own users and never create tables', () => {
    for (const [name, key] of [
      ['sink-clickhouse', 'CLICKHOUSE_SINK_URL'],
      ['sink-aggregates-clickhouse', 'CLICKHOUSE_AGG_SINK_URL'],
    ] as const) {
      const service = PIPELINE_SERVICES.find((s) => s.name === name)!;
      const env = serviceEnv(service, stack, {}, shell);
      expect(stack[key]).toMatch(/^http:\/\/retail_(agg_)?sink:/);
      expect(env['CLICKHOUSE_URL']).toBe(stack[key]);
      expect(env['SINK_CLICKHOUSE_CREATE_TABLE']).toBe('false');
      expect(env['SINK_AGGREGATES_MIGRATE']).toBe('false');
    }
  });
});
