/**
 * The VM path (deploy/vm/compose.yml) without an engine: `docker-compose config` accepts it with
 * the secrets init-secrets.sh generates, only the TLS proxy publishes ports, every service restarts
 * and rotates its logs, credentials come only from the generated files, and a backup runs on a
 * schedule.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../stack/paths.js';

const vmDir = join(projectRoot(), 'deploy', 'vm');
const work = mkdtempSync(join(tmpdir(), 'retail-vm-'));
const secrets = join(work, 'secrets');

interface Service {
  ports?: unknown[];
  restart?: string;
  logging?: { driver: string; options?: Record<string, string> };
  healthcheck?: { test?: unknown };
  environment?: Record<string, string>;
  profiles?: string[];
}

function compose(args: string[], env: Record<string, string> = {}) {
  return spawnSync(
    'docker-compose',
    ['-f', 'compose.yml', '--profile', 'clickhouse', '--profile', 'demo', ...args],
    {
      cwd: vmDir,
      encoding: 'utf8',
      env: { ...process.env, RETAIL_SECRETS_DIR: secrets, RETAIL_SITE_ADDRESS: 'retail.example.com', ...env },
    },
  );
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deploy/vm/compose.yml', () => {
  it('init-secrets.sh writes private secret files once and keeps them', () => {
    const first = spawnSync(join(vmDir, 'init-secrets.sh'), [secrets], { encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(0);
    const files = readdirSync(secrets).sort();
    expect(files).toEqual([
      'api-tokens.env',
      'clickhouse-server.env',
      'clickhouse.env',
      'pipeline-db.env',
      'postgres.env',
      'registry.env',
    ]);
    const before = files.map((f) => readFileSync(join(secrets, f), 'utf8'));
    for (const f of files) expect(statSync(join(secrets, f)).mode & 0o077, f).toBe(0);
    // Nothing secret on the terminal.
    for (const content of before) {
      for (const line of content.trim().split('\n')) expect(first.stdout).not.toContain(line.split('=')[1]);
    }
    const again = spawnSync(join(vmDir, 'init-secrets.sh'), [secrets], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(files.map((f) => readFileSync(join(secrets, f), 'utf8'))).toEqual(before);
  });

  it('passes docker-compose config; only the proxy is exposed; restart, log rotation and health everywhere', () => {
    const res = compose(['config']);
    expect(res.status, res.stderr).toBe(0);
    const config = parse(res.stdout) as { services: Record<string, Service> };
    const services = config.services;
    expect(Object.keys(services).sort()).toEqual(
      [
        'backup',
        'clickhouse',
        'kafka',
        'postgres',
        'processors',
        'producer',
        'prometheus',
        'proxy',
        'schema-registry',
        'serve',
        'sink-aggregates',
        'sink-aggregates-clickhouse',
        'sink-clickhouse',
        'sink-postgres',
      ].sort(),
    );
    const published = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([n]) => n);
    expect(published).toEqual(['proxy']);
    expect(JSON.stringify(services['proxy']?.ports)).toMatch(/443/);
    for (const [name, s] of Object.entries(services)) {
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.logging?.driver, name).toBe('json-file');
      expect(s.logging?.options?.['max-size'], name).toBeDefined();
      expect(s.healthcheck?.test, name).toBeDefined();
    }
    // Only /v1/* is proxied, over TLS.
    const caddy = readFileSync(join(vmDir, 'Caddyfile'), 'utf8');
    expect(caddy).toMatch(/handle \/v1\/\* \{\s*reverse_proxy serve:8080/);
    expect(caddy).toContain('tls {$RETAIL_TLS}');
  });

  it('takes every credential from the generated files, none from compose.yml', () => {
    const source = readFileSync(join(vmDir, 'compose.yml'), 'utf8');
    expect(source).not.toMatch(/PASSWORD:\s*\S|DATABASE_URL:|CLICKHOUSE_URL:|RETAIL_TOKEN_/);
    const res = compose(['config']);
    const services = (parse(res.stdout) as { services: Record<string, Service> }).services;
    const pg = readFileSync(join(secrets, 'pipeline-db.env'), 'utf8').trim().split('=').slice(1).join('=');
    expect(services['sink-postgres']?.environment?.['DATABASE_URL']).toBe(pg);
    // A process gets only the secrets it uses.
    expect(services['processors']?.environment?.['DATABASE_URL']).toBeUndefined();
    expect(services['sink-postgres']?.environment?.['RETAIL_TOKEN_INGEST']).toBeUndefined();
    expect(services['serve']?.environment?.['RETAIL_TOKEN_INGEST']).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(services['proxy']?.environment?.['RETAIL_TLS']).toBe('internal');
  });

  it('refuses to start without a site address', () => {
    const res = spawnSync('docker-compose', ['-f', 'compose.yml', 'config'], {
      cwd: vmDir,
      encoding: 'utf8',
      env: { ...process.env, RETAIL_SECRETS_DIR: secrets, RETAIL_SITE_ADDRESS: '' },
    });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('RETAIL_SITE_ADDRESS');
  });

  it('schedules a pg_dump backup with retention', () => {
    const res = compose(['config']);
    const backup = (parse(res.stdout) as { services: Record<string, Service> }).services['backup'];
    expect(backup?.environment?.['BACKUP_SCHEDULE']).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(Number(backup?.environment?.['BACKUP_KEEP_DAYS'])).toBeGreaterThan(0);
    const script = readFileSync(join(vmDir, 'backup.sh'), 'utf8');
    expect(script).toContain('pg_dump --format=custom');
    const sh = spawnSync('sh', ['-n', join(vmDir, 'backup.sh')]);
    expect(sh.status).toBe(0);
    expect(spawnSync('sh', ['-n', join(vmDir, 'backup-cron.sh')]).status).toBe(0);
  });
});
