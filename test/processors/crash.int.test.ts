import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoredTasks, startProcessorCli, stopCli } from './helpers/cli.js';
import { checkHourly, checkRolling, checkTopSkus, lateIds } from './helpers/checks.js';
import { committed, createFixture, waitCaughtUp } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';

describe('kill -9 of a processor mid-stream, then a restart', () => {
  let f: Fixture;
  let child: ChildProcess | undefined;
  const log: string[] = [];
  let progressAtKill = { committed: 0, total: 0 };

  beforeAll(async () => {
    // Small fetches and a small record bound: many transactions, so the kill lands inside one.
    f = await createFixture({ events: 20_000, seed: 7, maxBatchBytes: 16 * 1024 });
    f.env['PROCESSOR_COMMIT_MAX_RECORDS'] = '150';
    const end = await f.admin.fetchTopicOffsets(f.topics.input);
    const total = end.reduce((s, e) => s + Number(e.high), 0);
    child = startProcessorCli(f, log);
    const deadline = Date.now() + 60_000;
    while ((await committed(f)) < total * 0.2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    progressAtKill = { committed: await committed(f), total };
    child = startProcessorCli(f, log);
    await waitCaughtUp(f, 'all', 80_000);
  });

  afterAll(async () => {
    await stopCli(child);
    await f?.cleanup();
  });

  it('was killed mid-stream and restored state from the changelog', () => {
    expect(progressAtKill.committed).toBeGreaterThan(0);
    expect(progressAtKill.committed).toBeLessThan(progressAtKill.total);
    const restored = restoredTasks(log);
    expect(restored.some((r) => r.entries > 0 && r.dedupKeys > 0)).toBe(true);
  });

  it('outputs still equal the SQL recomputation, and no update was emitted twice (read_committed)', async () => {
    const late = await lateIds(f);
    expect(await checkHourly(f, late.ids['hourly'] ?? [])).toBeGreaterThan(100);
    expect(await checkTopSkus(f, late.ids['top-skus'] ?? [], 5)).toBeGreaterThanOrEqual(4);
    expect(await checkRolling(f, late.ids['rolling'] ?? [])).toBeGreaterThan(100);
    // Each late record once per processor, too.
    const perProcessor = late.records
      .filter((r) => r.headers['late.stage'] !== 'merge')
      .map(
        (r) =>
          `${r.headers['late.processor']}#${r.headers['late.source.partition']}#${r.headers['late.source.offset']}`,
      );
    expect(new Set(perProcessor).size).toBe(perProcessor.length);
  });
});
