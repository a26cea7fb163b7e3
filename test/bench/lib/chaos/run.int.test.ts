/**
 * The short chaos soak of `make test` (issue 16): a pipeline of its own under supervision beside the
 * shared stack, its producer at a low rate plus acknowledged HTTP ingest, a kill -9 of one of its
 * processes every few seconds (producer, serve, the raw and aggregate sinks of Postgres and
 * ClickHouse, processors — never the shared servers), then every store reconciled against the raw
 * topic read with read_committed: 0 lost, 0 duplicated, 0 wrong everywhere (ClickHouse's raw and
 * aggregate tables too), every killed process healthy again.
 */
import { describe, expect, it } from 'vitest';
import { chaosConfig } from '../../../../lib/config/index.js';
import { formatReport, runChaos } from '../../../../bench/lib/chaos/run.js';
import { stackContext } from '../../../../stack/native.js';
import { stackPaths } from '../../../../stack/paths.js';
import { loadStackEnv } from '../../../../lib/stack-env.js';
import { stackEnv } from '../../../helpers/env.js';

describe('chaos soak (short)', () => {
  // The whole of .stack/env, as `make chaos` reads it: each process's own database login and the
  // API tokens its serve checks are there, not only the addresses every test needs.
  const env: Record<string, string> = { ...stackEnv(), ...loadStackEnv(stackPaths().envFile) };

  it('kills pipeline processes under load; every store reconciles exactly and everything heals', async () => {
    const lines: string[] = [];
    const report = await runChaos(
      stackContext(stackPaths(), () => undefined),
      env,
      {
        durationSeconds: 60,
        rate: 200,
        killEverySeconds: 12,
        targets: 'pipeline',
        drainSeconds: 240,
        // CHAOS_PORT_BASE pins the processes' ports (default: any free ones).
        portBase: chaosConfig().portBase,
        seed: 16,
        log: (m) => lines.push(m),
      },
    );
    const text = `${formatReport(report)}\n--- progress ---\n${lines.join('\n')}`;
    // The closing table in the test log: recovery times are reported, never asserted.
    console.log(formatReport(report));
    expect(report.kills.length, text).toBeGreaterThanOrEqual(3);
    expect(
      report.kills.every((k) => k.recoverySeconds !== undefined),
      text,
    ).toBe(true);
    expect(report.unhealthy, text).toEqual([]);
    const byStore = new Map(report.stores.map((s) => [s.store, s]));
    // Not vacuous: events went through both entry points and into the tables.
    expect(byStore.get('postgres sales_raw')?.expected, text).toBeGreaterThan(1000);
    expect(byStore.get('ingest → raw topic')?.expected, text).toBeGreaterThan(0);
    expect(byStore.get('postgres sales_hourly')?.expected, text).toBeGreaterThan(0);
    // The stack runs ClickHouse (its sinks' logins are in .stack/env): its stores are checked too.
    if (env['CLICKHOUSE_SINK_URL'] && env['CLICKHOUSE_AGG_SINK_URL']) {
      expect(byStore.get('clickhouse sales_raw')?.expected, text).toBeGreaterThan(1000);
      expect(byStore.get('clickhouse sales_hourly')?.expected, text).toBeGreaterThan(0);
    }
    for (const s of report.stores) {
      expect({ store: s.store, lost: s.lost, duplicated: s.duplicated, wrong: s.wrong }, text).toEqual({
        store: s.store,
        lost: 0,
        duplicated: 0,
        wrong: 0,
      });
    }
    expect(report.ok, text).toBe(true);
  }, 600_000);
});
