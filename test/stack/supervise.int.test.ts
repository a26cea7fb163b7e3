/**
 * `retail-etl stack supervise` on a real pipeline process: in a stack directory of its own
 * (RETAIL_ETL_STACK_DIR) that lists only the producer — on a topic of its own, so the shared
 * stack's data and servers are never touched — the supervisor starts it, a kill -9 is healed
 * with a new PID, and the restart is counted in the state file, in `stack status` and in the
 * Prometheus metric.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuietKafka } from '../../lib/kafka/index.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { runCli, startCli } from '../../stack/cli-process.js';
import { freePort } from '../../stack/net.js';
import { isAlive, readPid } from '../../stack/process.js';
import type { SupervisorFile } from '../../stack/supervise.js';
import { waitUntil } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';

const env = stackEnv();
const dir = mkdtempSync(join(tmpdir(), 'retail-supervise-'));
const topic = uniqueName('supervise');
let supervisor: CliProcess | undefined;

function state(): SupervisorFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'run', 'supervisor.json'), 'utf8')) as SupervisorFile;
  } catch {
    return undefined;
  }
}
const producer = () => state()?.processes.find((p) => p.name === 'producer');

afterAll(async () => {
  await supervisor?.stop();
  const pid = readPid(join(dir, 'run', 'producer.pid'));
  if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  const admin = createQuietKafka(env.KAFKA_BROKERS.split(',')).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(topic));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('stack supervise', () => {
  it('starts what it supervises, heals a kill -9 with a new PID and counts the restart', async () => {
    mkdirSync(join(dir, 'run'), { recursive: true });
    writeFileSync(join(dir, 'run', 'supervised.json'), JSON.stringify(['producer']));
    writeFileSync(join(dir, 'mode'), 'native\n');
    // Ports of their own: a running `make up` may hold the defaults (9401, 9407).
    const producerPort = await freePort();
    const metricsPort = await freePort();
    supervisor = startCli(['stack', 'supervise'], {
      env: {
        RETAIL_ETL_STACK_DIR: dir,
        PRODUCER_METRICS_PORT: String(producerPort),
        SUPERVISOR_METRICS_PORT: String(metricsPort),
        PRODUCER_TOPIC: topic,
        PRODUCER_CONTROL_TOPIC: `${topic}.control`,
        PRODUCER_GROUP: topic,
      },
    });
    const healthy = () => producer()?.state === 'healthy';
    expect(await waitUntil(healthy, { timeoutMs: 90_000 }), supervisor.tail()).toBe(true);
    const first = readPid(join(dir, 'run', 'producer.pid'))!;
    expect(isAlive(first)).toBe(true);
    expect(producer()?.restarts).toBe(0);

    process.kill(first, 'SIGKILL');
    expect(
      await waitUntil(() => producer()?.restarts === 1 && healthy(), { timeoutMs: 90_000 }),
      supervisor.tail(),
    ).toBe(true);
    const second = readPid(join(dir, 'run', 'producer.pid'))!;
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);
    expect(supervisor.output()).toContain('producer: restarted (restart 1)');

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/retail_stack_restarts_total\{component="producer"\} 1\b/);
    expect(metrics).toMatch(/retail_stack_crash_loop\{component="producer"\} 0\b/);

    const status = await runCli(['stack', 'status'], {
      RETAIL_ETL_STACK_DIR: dir,
      PRODUCER_METRICS_PORT: String(producerPort),
    });
    expect(status.stdout, status.stdout).toMatch(/healthy\s+producer\s+pid \d+\s+\S+\s+restarts 1\n/);
  });
});
