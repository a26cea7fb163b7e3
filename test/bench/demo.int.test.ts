/**
 * `make demo --fast` end to end (issue 15 part 1): the tour on a pipeline of its own beside the
 * shared stack — rate raised, the raw sink and the processors killed with -9 and restarted by the
 * supervisor, a poison record, a late event and a duplicated request sent, a sales anomaly injected
 * and shown firing (its rows in sales_anomalies, the processors' counter) — and its proof: every
 * store 0 lost / 0 duplicated / 0 wrong against an independent read of the raw topic, the poison
 * record in the DLQ (and nothing else), the late event in the late topic, the duplicate stored
 * once, and nothing of the demo left behind.
 */
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../lib/config/index.js';
import { fastOptions, KILL_TARGETS, runDemo } from '../../bench/lib/demo/tour.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackEnv } from '../helpers/env.js';

describe('make demo --fast', () => {
  // The whole of .stack/env, as `make demo` reads it: the ingest token and each process's login.
  const env = { ...stackEnv(), ...loadStackEnv(stackPaths().envFile) };

  it('runs the tour and its proof holds: exact stores, DLQ and late topic as sent, nothing left', async () => {
    const out: string[] = [];
    const report = await runDemo(
      stackContext(stackPaths(), () => undefined),
      env,
      {
        ...fastOptions(demoConfig()),
        say: (t) => out.push(t),
        log: (t) => out.push(`(log) ${t}`),
      },
    );
    const text = out.join('\n');
    expect(report.failures, text).toEqual([]);
    const { proof } = report;
    // Not vacuous: events went through, both kills happened and healed.
    expect(proof.topic.records, text).toBeGreaterThan(500);
    expect(
      report.recoveries.map((r) => r.target),
      text,
    ).toEqual([...KILL_TARGETS]);
    expect(
      report.recoveries.every((r) => r.seconds !== undefined),
      text,
    ).toBe(true);
    for (const s of proof.stores) {
      expect({ store: s.store, lost: s.lost, duplicated: s.duplicated, wrong: s.wrong }, text).toEqual({
        store: s.store,
        lost: 0,
        duplicated: 0,
        wrong: 0,
      });
    }
    expect(proof.salesRaw, text).toEqual({
      records: proof.topic.distinctIds,
      distinctIds: proof.topic.distinctIds,
      amountCents: proof.topic.amountCents,
    });
    expect(proof.hourly.revenueCents, text).toBe(proof.hourly.expectedCents);
    // The DLQ holds the one poison record sent, with a reason; the late topic the late event.
    const dlq = proof.stores.find((s) => s.store === 'dlq topic');
    expect(dlq?.expected, text).toBe(1);
    expect(proof.poison[0]?.stages.length, text).toBeGreaterThan(0);
    expect(proof.poison[0]?.reasons.length, text).toBeGreaterThan(0);
    expect(proof.late.processors, text).toContain('hourly');
    expect(proof.late.inSalesRaw, text).toBe(1);
    expect(proof.duplicate.inTopic, text).toBe(2);
    expect(proof.duplicate.inSalesRaw, text).toBe(1);
    // The injected anomaly (store S9001, one hour at ×5 after its history) fired: its rows in
    // sales_anomalies and the processors' counter.
    expect(
      report.anomaly.rows.map((r) => `${r.metric} ${r.direction}`),
      text,
    ).toEqual(['revenue up', 'units up']);
    expect(report.anomaly.rows.find((r) => r.metric === 'units')?.observed, text).toBeGreaterThan(
      3 * (report.anomaly.rows.find((r) => r.metric === 'units')?.expected ?? Infinity),
    );
    expect(report.anomaly.counter, text).toBeGreaterThanOrEqual(1);
    expect(report.leftBehind, text).toEqual([]);
    expect(report.ok, text).toBe(true);
  }, 600_000);
});
