/**
 * The order of a token rotation (stack/secrets-rotate.ts), with a recording target: `serve` first
 * accepts the new and the old token, `.stack/env` then names only the new one, and only after the
 * overlap is `serve` restarted with the new one alone; the secrets file ends with the new tokens
 * (mode 600) and the database passwords untouched. Processes that hold no token are not restarted.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatEnvFile, parseEnvFile } from '../../lib/env-file.js';
import { rotateSecrets } from '../../stack/secrets-rotate.js';

const dir = mkdtempSync(join(tmpdir(), 'rotate-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets rotate: tokens', () => {
  it('overlaps old and new tokens in serve, publishes the new, then drops the old', async () => {
    const file = join(dir, 'secrets.env');
    const old = {
      POSTGRES_SINK_PASSWORD: 'pw-sink',
      RETAIL_TOKEN_INGEST: 'old-ingest',
      RETAIL_TOKEN_READ: 'old-read',
      RETAIL_TOKEN_CONTROL: 'old-control',
    };
    writeFileSync(file, formatEnvFile(old), { mode: 0o644 });
    const steps: string[] = [];
    const report = await rotateSecrets({
      secretsFile: file,
      adminUrl: () => 'postgres://unused',
      what: ['tokens'],
      graceMs: 0,
      log: () => undefined,
      target: {
        running: () => ['serve', 'sink-postgres', 'producer'],
        restart: async (service, s) => {
          steps.push(`restart ${service} read=${s['RETAIL_TOKEN_READ']}`);
        },
        publish: (s) => steps.push(`publish read=${s['RETAIL_TOKEN_READ']}`),
      },
      duringOverlap: async () => {
        steps.push('overlap');
      },
    });
    const now = parseEnvFile(readFileSync(file, 'utf8'));
    const fresh = now['RETAIL_TOKEN_READ'];
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(steps).toEqual([
      `restart serve read=${fresh},old-read`,
      `publish read=${fresh}`,
      'overlap',
      `restart serve read=${fresh}`,
    ]);
    expect(now['RETAIL_TOKEN_INGEST']).not.toBe('old-ingest');
    expect(now['RETAIL_TOKEN_CONTROL']).not.toBe('old-control');
    expect(now['POSTGRES_SINK_PASSWORD']).toBe('pw-sink');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(report.restarted).toEqual(['serve']);
    expect(report.roles).toEqual([]);
  });
});

describe('secrets rotate: kafka', () => {
  it('restarts the running services of each principal right after its new password; skipped without a SASL listener', async () => {
    const file = join(dir, 'secrets-kafka.env');
    writeFileSync(file, formatEnvFile({ RETAIL_TOKEN_READ: 'r' }), { mode: 0o600 });
    const steps: string[] = [];
    const options = {
      secretsFile: file,
      adminUrl: () => 'postgres://unused',
      what: ['kafka'] as const,
      graceMs: 0,
      log: () => undefined,
      target: {
        running: () => ['producer', 'sink-postgres'],
        restart: async (service: string) => {
          steps.push(`restart ${service}`);
        },
        publish: () => undefined,
      },
    };
    const report = await rotateSecrets({
      ...options,
      kafka: {
        rotate: async (restartUsers) => {
          for (const p of ['producer', 'processors', 'admin']) {
            steps.push(`rotate ${p}`);
            await restartUsers(p);
          }
          return ['producer', 'processors', 'admin'];
        },
        servicesOf: (p) => (p === 'admin' ? [] : [p]),
      },
    });
    expect(steps).toEqual(['rotate producer', 'restart producer', 'rotate processors', 'rotate admin']);
    expect(report.kafka).toEqual(['producer', 'processors', 'admin']);
    expect(report.restarted).toEqual(['producer']);
    const plain = await rotateSecrets(options);
    expect(plain.kafka).toEqual([]);
    expect(plain.skipped).toContain('kafka SCRAM: the stack’s broker has no SASL listener');
  });
});
