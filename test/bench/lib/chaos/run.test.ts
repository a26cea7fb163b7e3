/** Which processes a chaos run may kill, and the closing table (no servers). */
import { describe, expect, it } from 'vitest';
import type { ChaosReport } from '../../../../bench/lib/chaos/run.js';
import { chooseTargets, formatReport } from '../../../../bench/lib/chaos/run.js';

const PIPELINE = ['sink-postgres', 'processors', 'producer', 'serve', 'sink-aggregates'];

describe('chooseTargets', () => {
  it('all = the pipeline and the servers when the stack’s supervisor runs', () => {
    expect(chooseTargets('all', PIPELINE, true)).toEqual([
      ...PIPELINE,
      'kafka',
      'postgres',
      'schema-registry',
      'clickhouse',
    ]);
  });

  it('all without a supervisor leaves the servers out (nothing would restart them)', () => {
    expect(chooseTargets('all', PIPELINE, false)).toEqual(PIPELINE);
  });

  it('naming a server without a supervisor is an error that says why', () => {
    expect(() => chooseTargets('kafka', PIPELINE, false)).toThrow(/supervisor is not running/);
  });

  it('pipeline and single names; an unknown name lists the allowed ones', () => {
    expect(chooseTargets('pipeline', PIPELINE, true)).toEqual(PIPELINE);
    expect(chooseTargets('processors, postgres', PIPELINE, true)).toEqual(['processors', 'postgres']);
    expect(chooseTargets('clickhouse', PIPELINE, true)).toEqual(['clickhouse']);
    expect(() => chooseTargets('prometheus', PIPELINE, true)).toThrow(
      /unknown target "prometheus".*allowed: all, pipeline, sink-postgres.*clickhouse/,
    );
  });
});

describe('formatReport', () => {
  const report: ChaosReport = {
    base: 'chaos-x',
    seconds: 60,
    rate: 200,
    produced: 12_000,
    ingestAcked: 480,
    kills: [
      { target: 'processors', atSecond: 12, pid: 1, recoverySeconds: 4.2, allHealthySeconds: 4.5 },
      { target: 'serve', atSecond: 24, pid: 2, recoverySeconds: undefined, allHealthySeconds: undefined },
    ],
    worstLag: { group: 'chaos-x-sink-postgres', records: 900, atSecond: 14 },
    drainSeconds: 3.5,
    stores: [{ store: 'postgres sales_raw', expected: 12_000, lost: 0, duplicated: 2, wrong: 0 }],
    unhealthy: ['serve'],
    ok: false,
  };

  it('names the verdict, every store’s counts, each kill’s recovery and what did not recover', () => {
    const text = formatReport(report);
    expect(text).toMatch(/^chaos FAILED: 60 s at 200 events\/s, 12000 records/);
    expect(text).toMatch(/postgres sales_raw\s+12000\s+0\s+2\s+0/);
    expect(text).toMatch(/processors\s+12 s\s+4\.2 s\s+4\.5 s/);
    expect(text).toMatch(/serve\s+24 s\s+NOT RECOVERED/);
    expect(text).toContain('worst lag: 900 records (chaos-x-sink-postgres, at 14 s)');
    expect(text).toContain('not healthy at the end: serve');
  });
});
