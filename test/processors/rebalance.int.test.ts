import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors } from '../../processors/app.js';
import type { RunningProcessors } from '../../processors/app.js';
import { checkHourly, checkRolling, checkTopSkus, lateIds } from './helpers/checks.js';
import { committed, createFixture, waitCaughtUp } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';

describe('a rebalance between two processor instances', () => {
  let f: Fixture;
  let a: RunningProcessors | undefined;
  let b: RunningProcessors | undefined;
  let assignedToB = 0;

  beforeAll(async () => {
    f = await createFixture({ events: 20_000, seed: 99, maxBatchBytes: 16 * 1024, firstFraction: 0.5 });
    a = await runProcessors(['hourly', 'top-skus', 'rolling'], f.options);
    while ((await committed(f)) < 3_000) await new Promise((r) => setTimeout(r, 50));
    // B joins: partitions move from A to B while A is mid-stream.
    b = await runProcessors(['hourly', 'top-skus', 'rolling'], f.options);
    await f.produceRest();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const m = await b.registry.getSingleMetricAsString('retail_processor_transactions_total');
      const n = Number(m.match(/processor="all",result="committed"} (\d+)/)?.[1] ?? 0);
      if (n > 0) {
        assignedToB = n;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // A leaves: everything moves to B.
    await a.stop();
    a = undefined;
    await waitCaughtUp(f, 'all', 80_000);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await f?.cleanup();
  });

  it('both instances processed part of the stream, and the outputs still equal SQL', async () => {
    expect(assignedToB).toBeGreaterThan(0);
    const late = await lateIds(f);
    expect(await checkHourly(f, late.ids['hourly'] ?? [])).toBeGreaterThan(100);
    expect(await checkTopSkus(f, late.ids['top-skus'] ?? [], 5)).toBeGreaterThanOrEqual(4);
    expect(await checkRolling(f, late.ids['rolling'] ?? [])).toBeGreaterThan(100);
  });
});
