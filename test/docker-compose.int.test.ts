/**
 * docker-compose.yml is valid (Debian's docker-compose parses it with no engine) and every service
 * docs/stack.md names is there with a healthcheck.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../stack/paths.js';

describe('docker-compose.yml', () => {
  it('passes `docker-compose config` and every service has a healthcheck', () => {
    const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: projectRoot(),
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    const services = spawnSync('docker-compose', ['config', '--services'], {
      cwd: projectRoot(),
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n');
    for (const name of [
      'kafka',
      'schema-registry',
      'postgres',
      'clickhouse',
      'prometheus',
      'grafana',
      'kafka-connect',
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
    // Every service of the resolved config carries a healthcheck.
    const config = parse(res.stdout) as { services: Record<string, { healthcheck?: { test?: unknown } }> };
    const withoutHealth = Object.entries(config.services)
      .filter(([, s]) => !s.healthcheck?.test)
      .map(([n]) => n);
    expect(withoutHealth).toEqual([]);
  });
});
