/**
 * The web control panel in headless Chromium (Debian's chromium driven by playwright-core) against
 * a real `retail-etl serve` and a real running producer process: the slider changes the producer's
 * rate, Pause stops it, a rate above the cap is refused with the reason shown, two operators
 * changing the rate at once see the same final value (the last write), and a server whose
 * Prometheus is down keeps its controls working. The browser signs in with the control token (the
 * session cookie and CSRF token are the panel's own; api/routes/panel-pages.ts). Screenshot: test-artifacts/panel.png (the one in
 * docs/panel.png, with a whole pipeline behind it, comes from test/api/routes/dashboards.int.test.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { PORTS } from '../../lib/ports.js';
import { readControlState } from '../../producer/control.js';
import type { Browser } from '../helpers/browser.js';
import { openBrowser, openPanel } from '../helpers/browser.js';
import { bearer, testTokens, tokenEnv } from '../helpers/api-tokens.js';
import { waitOrThrow } from '../../stack/wait.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import type { CliProcess } from '../dashboards/processes.js';
import { pollJson, requireBuild, requireFreePorts, ROOT, scrape, startCli } from '../dashboards/processes.js';

const CAP = 1000;

interface PanelState {
  rate: number | null;
  paused: boolean;
  cap: number;
  connected: boolean;
  actualRate: number;
  replicas: { replica: string; stale: boolean }[];
}

describe('control panel (Chromium)', () => {
  stackEnv(); // loads .stack/env (KAFKA_BROKERS, PROMETHEUS_URL…) for the children
  const name = uniqueName('panel');
  const tokens = testTokens();
  const control = { ...bearer(tokens.control), 'content-type': 'application/json' };
  const topic = `${name}.sales`;
  const controlTopic = `${name}.control`;
  const controlEnv = {
    PRODUCER_GROUP: name,
    PRODUCER_CONTROL_TOPIC: controlTopic,
    PRODUCER_MAX_RATE: '5000',
  };
  const procs: CliProcess[] = [];
  let producer: CliProcess;
  let producerPort = 0;
  let base = '';
  let noPromBase = '';
  let context: BrowserContext;
  let browser: Browser | undefined;
  const kafka = createKafka('panel-test');

  const events = () => scrape(producerPort, 'retail_producer_events_total');
  const gauge = (metric: string) => scrape(producerPort, metric);
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) =>
    waitOrThrow(what, check, { timeoutMs });

  beforeAll(async () => {
    requireBuild();
    // Prometheus scrapes the producer on 9401 and serve on 8080: the live figures then have data.
    await requireFreePorts({ producer: PORTS.producerMetrics, serve: PORTS.pipelineHttp });
    producer = startCli(
      'producer',
      [
        'producer',
        'run',
        '--rate',
        '50',
        '--max-rate',
        String(CAP),
        '--topic',
        topic,
        '--control-topic',
        controlTopic,
      ],
      { ...controlEnv, PRODUCER_METRICS_PORT: String(PORTS.producerMetrics), PRODUCER_DURATION: '170s' },
    );
    procs.push(producer);
    const started = await producer.waitFor(/"msg":"producer started".*?"metricsPort":(\d+)/);
    producerPort = Number(started[1]);
    const serve = startCli('serve', ['serve', '--port', String(PORTS.pipelineHttp), '--topic', topic], {
      ...controlEnv,
      ...tokenEnv(tokens),
    });
    procs.push(serve);
    base = (await serve.waitFor(/serving on (http:\/\/\S+)/))[1] ?? '';
    // A second server whose Prometheus is unreachable (a port nothing listens on).
    const serve2 = startCli('serve-no-prometheus', ['serve', '--port', '0', '--topic', topic], {
      ...controlEnv,
      ...tokenEnv(tokens),
      PROMETHEUS_URL: 'http://127.0.0.1:9',
    });
    procs.push(serve2);
    noPromBase = (await serve2.waitFor(/serving on (http:\/\/\S+)/))[1] ?? '';
    for (const b of [base, noPromBase]) {
      await pollJson<PanelState>(
        `${b}/v1/control/producer`,
        (s) => s.connected && s.replicas.some((r) => !r.stale),
        30_000,
        `${b}/v1/control/producer`,
        bearer(tokens.control),
      );
    }
    browser = await openBrowser('panel-chromium');
    context = browser.context;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(procs.map((p) => p.stop()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, controlTopic] }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  const open = (url: string): Promise<Page> => openPanel(context, url, tokens.control);

  it('shows the producer, and the slider changes the running producer’s rate', async () => {
    const page = await open(base);
    await expect.poll(() => page.locator('#rate').textContent(), { timeout: 10_000 }).toBe('50');
    expect(await page.locator('#cap').textContent()).toBe('1,000');
    expect(await page.locator('#rate-slider').getAttribute('max')).toBe(String(CAP));
    expect(await page.locator('#help-title').textContent()).toBe('What this does');

    await page.locator('#rate-slider').fill('400');
    await expect
      .poll(() => page.locator('#message').textContent(), { timeout: 10_000 })
      .toBe('Rate set to 400 events/s.');
    // The real producer process applies it: its configured rate, then its measured rate.
    await until(
      'producer configured rate 400',
      async () => (await gauge('retail_producer_configured_rate')) === 400,
    );
    await until(
      'producer actual rate above 250/s',
      async () => (await gauge('retail_producer_actual_rate')) > 250,
    );
    await expect.poll(() => page.locator('#actual').textContent(), { timeout: 15_000 }).toMatch(/^[3-4]\d\d/);
    // Live figures from Prometheus, which scrapes this producer on its standard port.
    await expect.poll(() => page.locator('#fig-eventsIn').textContent(), { timeout: 30_000 }).toMatch(/^\d/);
    await page.close();
  });

  it('refuses a rate above the cap and shows the reason; the producer keeps its rate', async () => {
    const page = await open(base);
    await page.locator('#rate-input').fill('5000');
    await page.locator('#apply').click();
    await expect
      .poll(() => page.locator('#message').textContent(), { timeout: 10_000 })
      .toContain('Refused: rate 5000 events/s is above the safety cap of 1000 events/s');
    expect(await page.locator('#message').getAttribute('class')).toBe('error');
    const answer = await fetch(`${base}/v1/control/producer/rate`, {
      method: 'PUT',
      headers: control,
      body: JSON.stringify({ rate: 5000 }),
    });
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { error: string }).error).toBe('RATE_ABOVE_CAP');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await gauge('retail_producer_configured_rate')).toBe(400);
    await page.close();
  });

  it('Pause stops the producer; Resume starts it again', async () => {
    const page = await open(base);
    await page.locator('#pause').click();
    await expect.poll(() => page.locator('#state').textContent(), { timeout: 10_000 }).toBe('Paused');
    await until('producer paused', async () => (await gauge('retail_producer_paused')) === 1);
    await new Promise((r) => setTimeout(r, 1500)); // a request in flight at the pause may still land
    const before = await events();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await events()).toBe(before);
    expect(await page.locator('#resume').isEnabled()).toBe(true);

    await page.locator('#resume').click();
    await expect.poll(() => page.locator('#state').textContent(), { timeout: 10_000 }).toBe('Running');
    await until('producer sends again', async () => (await events()) > before + 100);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await new Promise((r) => setTimeout(r, 2500)); // let the live figures refresh for the picture
    const shot = join(ROOT, 'test-artifacts', 'panel.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();
  });

  it('two operators change the rate at once: the last write wins and both panels show it', async () => {
    const a = await open(base);
    const b = await open(noPromBase); // a second server: the value must agree across servers too
    const put = (url: string, rate: number, actor: string) =>
      fetch(`${url}/v1/control/producer/rate`, {
        method: 'PUT',
        headers: { ...control, 'x-actor': actor },
        body: JSON.stringify({ rate }),
      });
    const [ra, rb] = await Promise.all([put(base, 300, 'operator-a'), put(noPromBase, 700, 'operator-b')]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    // The truth is the control topic: whichever record Kafka appended last.
    const final = (await readControlState(kafka, controlTopic, name)).rate;
    expect(final && [300, 700].includes(final.rate)).toBe(true);
    // The record names the authenticated token, not what the request claimed (X-Actor).
    expect(final?.actor).toMatch(/^control:[0-9a-f]{8}$/);
    const want = String(final?.rate);
    for (const url of [base, noPromBase]) {
      await pollJson<PanelState>(
        `${url}/v1/control/producer`,
        (s) => s.rate === final?.rate,
        10_000,
        url,
        bearer(tokens.control),
      );
    }
    await expect.poll(() => a.locator('#rate').textContent(), { timeout: 10_000 }).toBe(want);
    await expect.poll(() => b.locator('#rate').textContent(), { timeout: 10_000 }).toBe(want);
    await until(
      `producer applies ${want}`,
      async () => (await gauge('retail_producer_configured_rate')) === final?.rate,
    );
    await a.close();
    await b.close();
  });

  it('with Prometheus down the panel says so and its controls keep working', async () => {
    const figures = (await (
      await fetch(`${noPromBase}/v1/control/metrics`, { headers: bearer(tokens.control) })
    ).json()) as {
      prometheus: string;
      reason: string;
    };
    expect(figures.prometheus).toBe('down');
    expect(figures.reason).toContain('is unreachable');
    const page = await open(noPromBase);
    await expect
      .poll(() => page.locator('#prom-status').textContent(), { timeout: 10_000 })
      .toContain('Live figures are unavailable; the controls still work.');
    await page.locator('#rate-input').fill('222');
    await page.locator('#apply').click();
    await expect
      .poll(() => page.locator('#message').textContent(), { timeout: 10_000 })
      .toBe('Rate set to 222 events/s.');
    await until('producer applies 222', async () => (await gauge('retail_producer_configured_rate')) === 222);
    await page.close();
  });
});
