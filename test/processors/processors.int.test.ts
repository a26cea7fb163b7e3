import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors } from '../../processors/app.js';
import type { RunningProcessors } from '../../processors/app.js';
import { checkHourly, checkRolling, checkTopSkus, lateIds } from './helpers/checks.js';
import { createFixture, readAll, waitCaughtUp } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';

describe('processors against real Kafka, checked by SQL in Postgres', () => {
  let f: Fixture;
  let running: RunningProcessors;
  let late: Awaited<ReturnType<typeof lateIds>>;

  beforeAll(async () => {
    f = await createFixture({ events: 20_000, seed: 42 });
    running = await runProcessors(['hourly', 'top-skus', 'rolling'], f.options);
    await waitCaughtUp(f);
    late = await lateIds(f);
  });

  afterAll(async () => {
    await running?.stop();
    await f?.cleanup();
  });

  it('hourly finals equal the SQL GROUP BY over the deduplicated input, row for row', async () => {
    expect(await checkHourly(f, late.ids['hourly'] ?? [])).toBeGreaterThan(100);
  });

  it('top SKUs equal a SQL rank() over the same input', async () => {
    expect(await checkTopSkus(f, late.ids['top-skus'] ?? [], 5)).toBeGreaterThanOrEqual(4);
  });

  it('the rolling hour equals its SQL definition at the checked instants', async () => {
    expect(await checkRolling(f, late.ids['rolling'] ?? [])).toBeGreaterThan(100);
  });

  it('events beyond the allowed lateness are in the late topic and the counter, for every processor', async () => {
    expect(f.farLateIds.size).toBeGreaterThan(5);
    // Every operator judges lateness by its partition's watermark (top SKUs' first stage too).
    for (const p of ['hourly', 'top-skus', 'rolling']) {
      const ids = new Set(late.ids[p]);
      for (const id of f.farLateIds) expect(ids.has(id), `${p} did not route ${id} to late`).toBe(true);
    }
    const metrics = await running.registry.getSingleMetricAsString('retail_processor_late_records_total');
    for (const p of ['hourly', 'top-skus', 'rolling']) {
      const m = metrics.match(new RegExp(`processor="${p}"} (\\d+)`));
      expect(Number(m?.[1])).toBe(late.ids[p]?.length);
    }
  });

  it('poison records go to the DLQ with the reason and the original bytes, and do not stall', async () => {
    const dlq = await readAll(f, f.topics.dlq);
    // Decoded once per topology: each poison record is in the DLQ once.
    expect(dlq).toHaveLength(f.poison);
    expect(new Set(dlq.map((r) => r.headers['dlq.sink']))).toEqual(new Set(['processor-all']));
    expect(new Set(dlq.map((r) => r.headers['dlq.reason']))).toEqual(
      new Set(['bad_framing', 'unknown_schema']),
    );
    expect(dlq.some((r) => r.value?.toString() === 'not avro at all')).toBe(true);
    const metrics = await running.registry.getSingleMetricAsString('retail_processor_records_total');
    expect(metrics).toMatch(/processor="hourly",outcome="duplicate"} [1-9]/);
  });
});
