/**
 * The native dashboards in headless Chromium against a real run: the short pipeline of
 * test/dashboards/pipeline.ts on the ports the shared Prometheus scrapes, then every dashboard of
 * dashboards/ opened at /dashboards/<uid> with a read token must draw every panel with data from
 * this run (no "No data", no error, nothing the strict CSP blocked); the control panel's live
 * charts too. Screenshots: test-artifacts/dashboard-<uid>.png (UPDATE_DOCS_SCREENSHOT=1 copies them
 * to docs/, where README.md and docs/observability.md show them). Also: who may read, and that the
 * PromQL proxy passes only queries on.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaries } from '../../../api/dashboards/catalog.js';
import { PORTS } from '../../../lib/ports.js';
import { bearer, testTokens } from '../../helpers/api-tokens.js';
import type { Browser } from '../../helpers/browser.js';
import { openBrowser, openPanel } from '../../helpers/browser.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import type { Pipeline } from '../../dashboards/pipeline.js';
import { startPipeline } from '../../dashboards/pipeline.js';
import { ROOT } from '../../dashboards/processes.js';

const base = `http://127.0.0.1:${PORTS.pipelineHttp}`;
const dashboards = summaries(join(ROOT, 'dashboards'));

interface PanelState {
  title: string;
  type: string;
  state: string;
  note: string;
  /** Time series: Unix seconds of the newest point with a value. */
  last: number;
}

describe('native dashboards (Chromium) against a real run', () => {
  const env = stackEnv();
  const tokens = testTokens();
  const name = uniqueName('ndash');
  let pipeline: Pipeline | undefined;
  let browser: Browser | undefined;
  let connectRunning = false;
  const blocked: string[] = [];

  beforeAll(async () => {
    pipeline = await startPipeline(name, tokens, env);
    const up = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=max(retail_connect_up)`);
    const answer = (await up.json()) as { data?: { result: { value: [number, string] }[] } };
    connectRunning = answer.data?.result[0]?.value[1] === '1';
    browser = await openBrowser('ndash-chromium');
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  }, 90_000);

  const watch = (page: Page): Page => {
    // A failed request shows as its URL (the browser's own favicon.ico request aside).
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) blocked.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) blocked.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => blocked.push(e.message));
    return page;
  };

  async function panelStates(page: Page): Promise<PanelState[]> {
    return page.$$eval('.panel', (els) =>
      els.map((e) => ({
        title: e.querySelector('h2')?.textContent ?? '',
        type: e.className.replace(/^panel panel-/, ''),
        state: e.getAttribute('data-state') ?? '',
        last: Number(e.getAttribute('data-last') ?? 0),
        note: e.querySelector('.note')?.textContent ?? '',
      })),
    );
  }

  it('who may read: a read token, a control token; not an ingest token, not nobody', async () => {
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers, redirect: 'manual' });
    expect((await get('/v1/dashboards', bearer(tokens.read))).status).toBe(200);
    expect((await get('/v1/dashboards', bearer(tokens.control))).status).toBe(200);
    expect((await get('/v1/dashboards', bearer(tokens.ingest))).status).toBe(403);
    expect((await get('/v1/prometheus/query?query=up')).status).toBe(401);
    const page = await get('/dashboards', { accept: 'text/html' });
    expect([page.status, page.headers.get('location')]).toEqual([303, '/panel/login?next=/dashboards']);
    // Only instant and range queries go through; Prometheus's other APIs are not reachable.
    expect((await get('/v1/prometheus/admin/tsdb/snapshot', bearer(tokens.read))).status).toBe(404);
    const bad = await get('/v1/prometheus/query?query=sum(', bearer(tokens.read));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'INVALID_ARGUMENT', serverCode: 'bad_data' });
  });

  it('lists every dashboard of dashboards/', async () => {
    const page = watch(await (browser as Browser).context.newPage());
    await page.setExtraHTTPHeaders(bearer(tokens.read));
    await page.goto(`${base}/dashboards`);
    const links = await page
      .locator('#dashboards a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(dashboards.map((d) => `/dashboards/${d.uid}`));
    await page.close();
  });

  for (const d of dashboards) {
    it(`${d.uid}: every panel drawn with data from this run (screenshot)`, async () => {
      const page = watch(await (browser as Browser).context.newPage());
      await page.setExtraHTTPHeaders(bearer(tokens.read));
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(`${base}/dashboards/${d.uid}?from=now-15m&refresh=5s`);
      // Without a Kafka Connect worker only "Connect up" has data (docs/observability.md).
      const mustHaveData = (p: PanelState) =>
        p.state !== 'text' && (connectRunning || d.uid !== 'retail-connect' || p.title === 'Connect up');
      // Range windows (rate over 5m) still hold samples of an earlier run on the same ports: a
      // time series counts once it has a point from after this run's processes were ready.
      const readySeconds = ((pipeline as Pipeline).readyAt + 10_000) / 1000;
      const drawn = (p: PanelState) =>
        p.state === 'data' && (p.type !== 'timeseries' || p.last >= readySeconds);
      let states: PanelState[] = [];
      const deadline = Date.now() + 120_000;
      for (;;) {
        states = await panelStates(page);
        const waiting = states.filter((p) => mustHaveData(p) && !drawn(p));
        if ((states.length > 0 && waiting.length === 0) || Date.now() > deadline) break;
        await page.waitForTimeout(2000);
      }
      expect(states.length).toBeGreaterThan(0);
      expect(states.filter((p) => mustHaveData(p) && !drawn(p))).toEqual([]);
      expect(states.filter((p) => p.state === 'error' || p.state === 'unsupported')).toEqual([]);
      // A time series panel with data has its uPlot canvas.
      const charted = states.filter((p) => p.type === 'timeseries' && p.state === 'data').length;
      expect(await page.locator('.panel-timeseries[data-state="data"] canvas').count()).toBe(charted);
      if (d.uid === 'retail-overview') {
        // This run's consumer groups (named after it) are on the lag panel's legend.
        const legend = await page.locator('.panel', { hasText: 'Consumer lag (seconds)' }).textContent();
        expect(legend).toContain(name);
      }
      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      const shot = join(ROOT, 'test-artifacts', `dashboard-${d.uid}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env['UPDATE_DOCS_SCREENSHOT'] === '1')
        copyFileSync(shot, join(ROOT, 'docs', `dashboard-${d.uid}.png`));
      await page.close();
    }, 150_000);
  }

  it('a browser without a token is sent to sign in, and the control token brings it back to the dashboards', async () => {
    const page = watch(await (browser as Browser).context.newPage());
    await page.goto(`${base}/dashboards`);
    expect(page.url()).toBe(`${base}/panel/login?next=/dashboards`);
    await page.locator('#token').fill(tokens.control);
    await page.locator('#submit').click();
    await page.waitForURL(`${base}/dashboards`);
    expect(await page.locator('#dashboards a').count()).toBe(dashboards.length);
    // The session (not a bearer header) now reads a dashboard and its queries.
    await page.goto(`${base}/dashboards/retail-overview`);
    await expect
      .poll(() => page.locator('.panel[data-state="data"]').count(), { timeout: 30_000, interval: 1000 })
      .toBeGreaterThan(0);
    await page.close();
  }, 60_000);

  it('the control panel charts the last 15 minutes and links every dashboard', async () => {
    const page = watch(await openPanel((browser as Browser).context, base, tokens.control));
    for (const id of ['chart-eventsIn', 'chart-rowsOut', 'chart-lag', 'chart-latencyP95']) {
      await expect
        .poll(() => page.locator(`#${id}`).getAttribute('data-state'), { timeout: 60_000, interval: 2000 })
        .toBe('data');
      expect(await page.locator(`#${id} canvas`).count()).toBeGreaterThan(0);
    }
    const links = await page
      .locator('#dashboard-links a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([...dashboards.map((d) => `/dashboards/${d.uid}`), '/dashboards']);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    const shot = join(ROOT, 'test-artifacts', 'panel-charts.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env['UPDATE_DOCS_SCREENSHOT'] === '1') copyFileSync(shot, join(ROOT, 'docs', 'panel.png'));
    await page.close();
  }, 120_000);

  it('the strict CSP blocked nothing and no page script failed', () => {
    expect(blocked).toEqual([]);
  });
});
