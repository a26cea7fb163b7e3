/**
 * Prometheus down: the pipeline keeps running and `make status` (`retail-etl stack status`) says
 * so. The shared Prometheus is never touched: this test runs a throwaway Prometheus of its own
 * (Debian's binary, its own port and data dir) scraping a real producer, registers it as the
 * Prometheus of a throwaway stack directory (RETAIL_ETL_STACK_DIR; the shared servers' PID files
 * are copied so they show as they are), then kills it.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { stackPaths } from '../../stack/paths.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import type { CliProcess } from './processes.js';
import { runCli } from '../../stack/cli-process.js';
import { pollJson, requireBuild, ROOT, scrape, startCli } from './processes.js';

interface Status {
  statuses: { name: string; running: boolean; healthy: boolean }[];
}

async function stackStatus(stackDir: string): Promise<{ code: number; text: string; json: Status }> {
  const env = { RETAIL_ETL_STACK_DIR: stackDir };
  const json = JSON.parse((await runCli(['stack', 'status', '--json'], env)).stdout) as Status;
  const { code, stdout } = await runCli(['stack', 'status'], env);
  return { code: code ?? -1, text: stdout, json };
}

describe('Prometheus down', () => {
  stackEnv();
  const name = uniqueName('promdown');
  const topic = `${name}.sales`;
  mkdirSync(join(ROOT, '.stack', 'tmp'), { recursive: true });
  const stackDir = mkdtempSync(join(ROOT, '.stack', 'tmp', 'promdown-'));
  let prometheus: ChildProcess | undefined;
  let producer: CliProcess;
  let producerPort = 0;
  const promPort = 19090 + Math.floor(Math.random() * 500);

  beforeAll(async () => {
    requireBuild();
    producer = startCli(
      'producer',
      [
        'producer',
        'run',
        '--rate',
        '100',
        '--topic',
        topic,
        '--control-topic',
        `${name}.control`,
        '--group',
        name,
      ],
      {
        PRODUCER_METRICS_PORT: '0',
        PRODUCER_DURATION: '80s',
      },
    );
    producerPort = Number((await producer.waitFor(/"msg":"producer started".*?"metricsPort":(\d+)/))[1]);

    const conf = join(stackDir, 'prometheus.yml');
    writeFileSync(
      conf,
      `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: retail-producer\n    static_configs: [{targets: ['127.0.0.1:${producerPort}']}]\n`,
    );
    prometheus = spawn(
      '/usr/bin/prometheus',
      [
        `--config.file=${conf}`,
        `--storage.tsdb.path=${join(stackDir, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    // The throwaway stack directory: the shared servers' PID files, and this Prometheus as its own.
    const runDir = join(stackDir, 'run');
    mkdirSync(runDir, { recursive: true });
    for (const c of ['kafka', 'schema-registry', 'postgres']) {
      const pidFile = join(stackPaths().run, `${c}.pid`);
      if (existsSync(pidFile)) copyFileSync(pidFile, join(runDir, `${c}.pid`));
    }
    writeFileSync(join(runDir, 'prometheus.pid'), `${prometheus.pid}\n`);
    writeFileSync(join(stackDir, 'mode'), 'native\n');
    await pollJson<{ data: { result: unknown[] } }>(
      `http://127.0.0.1:${promPort}/api/v1/query?query=retail_producer_events_total`,
      (b) => b.data.result.length > 0,
      30_000,
      'the throwaway Prometheus scrapes the producer',
    );
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await producer?.stop();
    rmSync(stackDir, { recursive: true, force: true });
    const kafka = createKafka('promdown-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${name}.control`] }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  it('status shows Prometheus healthy, then DOWN after it dies, while the producer keeps producing', async () => {
    const before = await stackStatus(stackDir);
    expect(before.json.statuses.find((s) => s.name === 'prometheus')).toMatchObject({
      running: true,
      healthy: true,
    });

    prometheus?.kill('SIGKILL');
    await new Promise((r) => prometheus?.once('exit', r));
    const events = await scrape(producerPort, 'retail_producer_events_total');

    const after = await stackStatus(stackDir);
    expect(after.json.statuses.find((s) => s.name === 'prometheus')).toMatchObject({
      running: false,
      healthy: false,
    });
    expect(after.text).toMatch(/DOWN\s+prometheus/);
    expect(after.code).toBe(1);
    // Only Prometheus changed (the shared servers' rows are as they were before).
    for (const c of before.json.statuses.filter((x) => x.name !== 'prometheus')) {
      expect(after.json.statuses.find((s) => s.name === c.name)?.healthy, c.name).toBe(c.healthy);
    }
    expect(after.json.statuses.find((s) => s.name === 'kafka')?.healthy).toBe(true);
    // The pipeline does not depend on Prometheus: the producer keeps sending and serving /metrics.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await scrape(producerPort, 'retail_producer_events_total')).toBeGreaterThan(events + 100);
    const health = await fetch(`http://127.0.0.1:${producerPort}/readyz`);
    expect(health.status).toBe(200);
  }, 60_000);
});
