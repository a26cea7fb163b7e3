/**
 * Restore of the keyed state: `processor all` killed with -9 in the middle of the stream, with a
 * short dedup horizon so that generations expire and are tombstoned while it runs; restarted, it
 * reads its changelog by assignment while /healthz answers and /readyz says what it is doing; the
 * outputs still equal SQL over the input; and once the data's hours are closed the changelog holds
 * only what is still open — state stays small.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChangelog } from '../../processors/runtime/changelog.js';
import { recentSlotMs } from '../../processors/runtime/task.js';
import { restoredTasks, startProcessorCli, stopCli } from './helpers/cli.js';
import { checkHourly, checkRolling, checkTopSkus, lateIds } from './helpers/checks.js';
import { committed, createFixture, groupOf, PARTITIONS, waitCaughtUp } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';
import { HOUR } from './helpers/expected.js';

const METRICS_PORT = 25404;
const HORIZON_MS = 120_000;
const CLI_ENV = {
  PROCESSOR_METRICS_PORT: String(METRICS_PORT),
  PROCESSOR_DEDUP_HORIZON_MS: String(HORIZON_MS),
};

async function get(path: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${METRICS_PORT}${path}`);
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined; // not listening yet
  }
}

describe('kill -9 with keyed state, restore by assignment, bounded changelog', () => {
  let f: Fixture;
  let child: ChildProcess | undefined;
  const log: string[] = [];
  const probes: { health: number; ready: number; status: string }[] = [];
  let progressAtKill = { committed: 0, total: 0 };

  beforeAll(async () => {
    f = await createFixture({ events: 24_000, seed: 11, maxBatchBytes: 16 * 1024, firstFraction: 0.7 });
    f.env['PROCESSOR_COMMIT_MAX_RECORDS'] = '200';
    const end = await f.admin.fetchTopicOffsets(f.topics.input);
    const total = end.reduce((s, e) => s + Number(e.high), 0);
    child = startProcessorCli(f, log, CLI_ENV);
    const deadline = Date.now() + 90_000;
    while ((await committed(f)) < total * 0.4 && Date.now() < deadline) await sleep(50);
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    progressAtKill = { committed: await committed(f), total };
    child = startProcessorCli(f, log, CLI_ENV);
    // Probe the endpoints while the restarted process joins and restores, until it is ready.
    const until = Date.now() + 90_000;
    for (;;) {
      const health = await get('/healthz');
      const ready = await get('/readyz');
      if (health && ready) {
        probes.push({
          health: health.status,
          ready: ready.status,
          status: (JSON.parse(ready.body) as { status: string }).status,
        });
        if (ready.status === 200 || Date.now() > until) break;
      }
      await sleep(20);
    }
    await f.produceRest();
    await waitCaughtUp(f, 'all', 120_000);
  }, 300_000);

  afterAll(async () => {
    await stopCli(child);
    await f?.cleanup();
  });

  it('was killed mid-stream and restored keyed state and dedup fingerprints', () => {
    expect(progressAtKill.committed).toBeGreaterThan(0);
    expect(progressAtKill.committed).toBeLessThan(progressAtKill.total);
    const restored = restoredTasks(log);
    expect(restored.some((r) => r.entries > 0 && r.dedupKeys > 0)).toBe(true);
    // The compiled processor fills its dedup tables in a worker thread beside the operators' rebuild.
    for (const r of restored.filter((x) => x.dedupKeys > 0)) expect(r.dedupLoadedIn).toBe('worker');
  });

  it('was alive while not ready, and said why (restoring N % / joining consumer group <group>), then ready', () => {
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) {
      expect(p.health).toBe(200);
      if (p.ready === 200) expect(p.status).toBe('ready');
      else expect(p.status).toMatch(/^(restoring \d{1,3} %|joining consumer group \S+)$/);
    }
    expect(probes[probes.length - 1]?.ready).toBe(200);
  });

  it('outputs equal the SQL recomputation, no update twice (read_committed)', async () => {
    const late = await lateIds(f);
    expect(await checkHourly(f, late.ids['hourly'] ?? [])).toBeGreaterThan(100);
    expect(await checkTopSkus(f, late.ids['top-skus'] ?? [], 5)).toBeGreaterThanOrEqual(4);
    expect(await checkRolling(f, late.ids['rolling'] ?? [])).toBeGreaterThan(100);
  });

  it('the changelog holds only open state: no closed hour, no expired dedup generation', async () => {
    const changelog = `${groupOf(f)}-changelog`;
    for (let p = 0; p < PARTITIONS; p++) {
      const { entries } = await readChangelog(f.kafka, changelog, p, { stallTimeoutMs: 10_000 });
      const meta = JSON.parse((entries.get(`m/${p}`) as Buffer).toString()) as { max: number };
      const wm = meta.max - 5_000;
      for (const key of entries.keys()) {
        if (key.startsWith('k/hourly/') || key.startsWith('k/top-skus/')) {
          // hour start first; every data hour closed when the sentinel passed it
          const hour = Number(key.split('/')[2]?.split('\u0000')[0]);
          expect(hour + HOUR + 60_000, key).toBeGreaterThan(wm);
        } else if (key.startsWith('r/')) {
          expect(Number(key.split('/')[1]) * recentSlotMs(HORIZON_MS), key).toBeGreaterThan(wm);
        } else {
          // k/anomalies/<store>: each store's scoring history, bounded by the history length.
          expect(key, 'only state, meta and snapshot keys').toMatch(/^(k\/rolling\/|k\/anomalies\/|m\/|o\/)/);
        }
      }
    }
  });
});
