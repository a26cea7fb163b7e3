/**
 * Every Grafana panel works against the real Prometheus: a short real pipeline run (producer,
 * serve, both sinks, the processors — on the ports the shared Prometheus scrapes, with unique
 * topics, groups and schema) is scraped, then every PromQL expression of every dashboard must
 * parse and return data — without its `or vector(0)` fallbacks, so the series themselves exist —
 * and every metric an expression names must be exported by a running process (a fallback cannot
 * hide a misspelt name). The Kafka Connect dashboard's data is required only while a worker runs
 * (the reason is at `connectExempt`). Also: Prometheus scrapes every
 * pipeline process with its target up, and the panel page is photographed with live figures
 * (test-artifacts/panel-pipeline.png; docs/panel.png, with the panel's charts, comes from
 * test/api/routes/dashboards.int.test.ts).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS } from '../../lib/ports.js';
import { reloadPrometheus } from '../../stack/components/prometheus.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { openBrowser, openPanel } from '../helpers/browser.js';
import { testTokens } from '../helpers/api-tokens.js';
import { pollJson, requireBuild, ROOT } from './processes.js';
import { dashboardExpressions, withoutFallback } from './expressions.js';
import type { Expression } from './expressions.js';
import type { Pipeline } from './pipeline.js';
import { startPipeline } from './pipeline.js';

const expressions: Expression[] = dashboardExpressions();

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('Grafana dashboards against the real Prometheus', () => {
  const env = stackEnv();
  const prom = env.PROMETHEUS_URL.replace(/\/$/, '');
  const name = uniqueName('dash');
  const tokens = testTokens();
  let pipeline: Pipeline | undefined;

  async function query(expr: string): Promise<QueryAnswer> {
    const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as QueryAnswer;
  }
  let readyAt = 0;
  const hasData = (a: QueryAnswer) =>
    a.status === 'success' && (a.data?.result ?? []).some((r) => Number.isFinite(Number(r.value[1])));

  beforeAll(async () => {
    requireBuild();
    // The shared Prometheus read dashboards/rules/*.yml when it started: reload it (SIGHUP; it
    // has no lifecycle API) so it evaluates the rules as they are now (a reload keeps its data).
    const lastReload = async () =>
      Number(
        (await query('prometheus_config_last_reload_success_timestamp_seconds')).data?.result[0]?.value[1],
      );
    const before = await lastReload();
    expect((await fetch(`${prom}/-/reload`, { method: 'POST' })).status, 'no lifecycle API').not.toBe(200);
    expect(reloadPrometheus(stackContext(stackPaths(), () => undefined)), 'the stack runs Prometheus').toBe(
      true,
    );
    await waitUntil(async () => (await lastReload()) > before, { timeoutMs: 30_000, intervalMs: 250 });
    await pollJson<{ data: { groups: { name: string }[] } }>(`${prom}/api/v1/rules`, (r) =>
      r.data.groups.some((g) => g.name === 'retail-slo'),
    );
    pipeline = await startPipeline(name, tokens, env);
    readyAt = pipeline.readyAt;
  }, 150_000);

  afterAll(async () => {
    await pipeline?.stop();
  }, 90_000);

  // The one exclusion, and why: Kafka Connect runs on demand (`retail-etl connect start`, a JVM
  // with the Debezium plugins), not in `make up` nor in this run. Unless a worker answers, the
  // Connect dashboard's panels other than "Connect up" are parsed and checked against the exported
  // metric names here, and their series are checked in test/connect/connect.int.test.ts, where a
  // worker and a connector run (docs/observability.md#retail-etl--kafka-connect-connectjson).
  let connectRunning = false;
  const connectExempt = (e: Expression) =>
    !connectRunning && e.dashboard === 'connect.json' && !e.expr.includes('retail_connect_up');

  it('Prometheus scrapes every pipeline process, all targets up', async () => {
    const jobs = [
      'retail-serve',
      'retail-producer',
      'retail-sink-postgres',
      'retail-sink-clickhouse',
      'retail-processors',
    ];
    await pollJson<{ data: { activeTargets: { labels: { job: string }; health: string }[] } }>(
      `${prom}/api/v1/targets?state=active`,
      (b) => jobs.every((j) => b.data.activeTargets.some((x) => x.labels.job === j && x.health === 'up')),
      30_000,
      'every pipeline target up',
    );
  });

  it(`every panel expression (${expressions.length}) parses and returns data`, async () => {
    expect(expressions.length).toBeGreaterThan(40);
    await pollJson<QueryAnswer>(
      `${prom}/api/v1/query?query=max(retail_connect_up)`,
      hasData,
      30_000,
      'retail_connect_up',
    );
    connectRunning = (await query('max(retail_connect_up)')).data?.result[0]?.value[1] === '1';
    const exempt = expressions.filter(connectExempt);
    if (exempt.length > 0)
      console.log(
        `Kafka Connect is not running: ${exempt.length} Connect panels checked for syntax and names only`,
      );
    // Parse errors show at once; data needs a few scrapes and rule evaluations (5 s / 15 s).
    // Data is asked of each expression without its `or vector(0)` fallbacks: the series behind a
    // panel must exist (counters and gauges are exported at 0 from start, lib/metric-zero.ts),
    // not the fallback's 0 stand in for them.
    for (const e of expressions) {
      const a = await query(e.expr);
      expect(a.status, `${e.dashboard} “${e.panel}”: ${e.expr}\n${a.error ?? ''}`).toBe('success');
    }
    const deadline = Date.now() + 100_000;
    let missing: Expression[] = expressions.filter((e) => !connectExempt(e));
    const began = Date.now();
    while (missing.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5000));
      const answers = await Promise.all(missing.map((e) => query(withoutFallback(e.expr))));
      missing = missing.filter((_, i) => !hasData(answers[i] as QueryAnswer));
    }
    console.log(
      `every panel had data ${((Date.now() - began) / 1000).toFixed(0)} s after the processes were ready`,
    );
    expect(missing.map((e) => `${e.dashboard} “${e.panel}”: ${e.expr}`)).toEqual([]);
  }, 170_000);

  // Range functions (rate over 5m, increase over 1h) also see samples of an earlier run on the same
  // ports: data alone does not prove this run exported the metric. Every metric an expression needs
  // (directly, or through a recording rule) must have samples scraped since this run's processes
  // were ready — errors and retries too, behind a fallback or not: they are exported at 0.
  it('the data comes from this run: every metric behind a panel was scraped since its processes started', async () => {
    const recordExpr = new Map<string, string>();
    for (const file of readdirSync(join(ROOT, 'dashboards', 'rules')).filter((f) => f.endsWith('.yml'))) {
      const doc = parse(readFileSync(join(ROOT, 'dashboards', 'rules', file), 'utf8')) as {
        groups: { rules: { record?: string; expr: string }[] }[];
      };
      for (const g of doc.groups)
        for (const r of g.rules) if (r.record) recordExpr.set(r.record, String(r.expr));
    }
    const selectors = (expr: string): string[] => {
      const out = new Set<string>();
      for (const m of expr.matchAll(/\{__name__=~"[^"]+"\}/g)) out.add(m[0]);
      for (const m of expr.replace(/\{__name__=~"[^"]+"\}/g, '').matchAll(/\bretail_[a-z0-9_]*[a-z0-9]\b/g))
        out.add(m[0]);
      for (const m of expr.matchAll(/\bretail:[a-z0-9_:]+/g))
        for (const s of selectors(recordExpr.get(m[0]) ?? '')) out.add(s);
      return [...out];
    };
    const since = Math.ceil((Date.now() - readyAt) / 1000);
    const stale: string[] = [];
    for (const e of expressions) {
      if (connectExempt(e)) continue;
      for (const sel of selectors(e.expr)) {
        const a = await query(`count(count_over_time(${sel}[${since}s]))`);
        if (!hasData(a)) stale.push(`${sel} (${e.dashboard} “${e.panel}”)`);
      }
    }
    expect(stale).toEqual([]);
  });

  it('every metric the dashboards name is exported by a running process or recorded by a rule', async () => {
    const metadata = (await (await fetch(`${prom}/api/v1/metadata`)).json()) as {
      data: Record<string, unknown>;
    };
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; type: string }[] }[] };
    };
    const recorded = new Set(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)));
    const unknown = new Set<string>();
    for (const e of expressions) {
      for (const m of e.expr.matchAll(/\bretail_[a-z0-9_]*[a-z0-9]\b/g)) {
        const n = m[0];
        const family = n.replace(/_(bucket|count|sum)$/, '');
        if (!(n in metadata.data) && !(family in metadata.data))
          unknown.add(`${n} (${e.dashboard} “${e.panel}”)`);
      }
      for (const m of e.expr.matchAll(/\bretail:[a-z0-9_:]+/g)) {
        if (!recorded.has(m[0])) unknown.add(`${m[0]}: no recording rule (${e.dashboard})`);
      }
    }
    expect([...unknown]).toEqual([]);
  });

  it('the control panel shows the live pipeline (screenshot)', async () => {
    const browser = await openBrowser('dash-chromium');
    try {
      const page = await openPanel(browser.context, `http://127.0.0.1:${PORTS.pipelineHttp}`, tokens.control);
      for (const id of ['#fig-eventsIn', '#fig-rowsOut', '#fig-latencyP95']) {
        await expect.poll(() => page.locator(id).textContent(), { timeout: 20_000 }).toMatch(/^\d/);
      }
      expect(await page.locator('#rate').textContent()).toBe('250');
      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      const shot = join(ROOT, 'test-artifacts', 'panel-pipeline.png');
      await page.screenshot({ path: shot, fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
