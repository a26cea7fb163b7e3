/**
 * The servers' exporters in the native stack: their ports are declared (so `up` checks them free
 * before anything starts), they listen on 127.0.0.1, secrets stay off command lines, and Prometheus'
 * generated configuration scrapes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS } from '../../../lib/ports.js';
import type { StackContext } from '../../../stack/component.js';
import { kafka } from '../../../stack/components/kafka.js';
import { postgresExporterLaunch } from '../../../stack/components/postgres-exporter.js';
import { nativePrometheusConfig } from '../../../stack/components/prometheus.js';
import { jmxAgentFlag } from '../../../stack/kafka-metrics.js';
import { INFRA } from '../../../stack/native.js';
import { stackPaths } from '../../../stack/paths.js';

const paths = stackPaths();
const ctx: StackContext = {
  paths,
  secrets: { POSTGRES_MONITOR_PASSWORD: 'monitor-secret-123' },
  progress: () => undefined,
};

describe('exporters of the native stack', () => {
  it('every exporter port is a port of a component `up` starts, so a taken one stops `up` first', () => {
    const ports = INFRA.flatMap((c) => c.ports.map((p) => [p, c.name] as const));
    const owner = (port: number) => ports.find(([p]) => p === port)?.[1];
    expect(owner(PORTS.kafkaMetrics)).toBe('kafka');
    expect(owner(PORTS.postgresExporter)).toBe('postgres-exporter');
    expect(owner(PORTS.clickhouse)).toBe('clickhouse');
    expect(new Set(ports.map(([p]) => p)).size).toBe(ports.length);
  });

  it('the JMX agent listens on 127.0.0.1 with the project’s rules file, inside the broker', () => {
    const flag = jmxAgentFlag(ctx);
    expect(flag).toBe(
      `-javaagent:${join(paths.cache, 'kafka-jmx', 'jmx_prometheus_javaagent.jar')}=127.0.0.1:${PORTS.kafkaMetrics}:${join(paths.assets, 'kafka', 'jmx-exporter.yml')}`,
    );
    expect(kafka.ports).toContain(PORTS.kafkaMetrics);
  });

  it('the JMX rules export the beans the dashboards and alerts use', () => {
    const rules = parse(readFileSync(join(paths.assets, 'kafka', 'jmx-exporter.yml'), 'utf8')) as {
      rules: { pattern: string; name: string }[];
    };
    const text = JSON.stringify(rules.rules);
    for (const bean of [
      'BytesIn|BytesOut|MessagesIn',
      'UnderReplicatedPartitions',
      'OfflinePartitionsCount',
      'ActiveControllerCount',
      'TotalTimeMs',
    ])
      expect(text).toContain(bean);
  });

  it('the Postgres exporter: 127.0.0.1, the pg_monitor login, the password only in its environment', () => {
    const spec = postgresExporterLaunch(ctx);
    expect(spec.args).toContain(`--web.listen-address=127.0.0.1:${PORTS.postgresExporter}`);
    expect(spec.args.join(' ')).not.toContain('monitor-secret-123');
    expect(spec.env?.['DATA_SOURCE_USER']).toBe('retail_monitor');
    expect(spec.env?.['DATA_SOURCE_PASS']).toBe('monitor-secret-123');
    expect(spec.env?.['DATA_SOURCE_URI']).toBe(`127.0.0.1:${PORTS.postgres}/retail?sslmode=disable`);
  });

  it('the generated Prometheus configuration scrapes the broker, Postgres and ClickHouse', () => {
    const config = parse(nativePrometheusConfig('/rules')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);
    expect(job('kafka-broker')?.static_configs[0]?.targets).toEqual([`127.0.0.1:${PORTS.kafkaMetrics}`]);
    expect(job('postgres')?.static_configs[0]?.targets).toEqual([`127.0.0.1:${PORTS.postgresExporter}`]);
    expect(job('clickhouse')?.static_configs[0]?.targets).toEqual([`127.0.0.1:${PORTS.clickhouse}`]);
    expect(job('clickhouse')?.metrics_path).toBe('/metrics');
    expect(job('retail-supervisor')).toBeDefined();
  });
});
