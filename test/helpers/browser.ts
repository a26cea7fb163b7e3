/** Debian's headless Chromium driven by playwright-core, with a throwaway profile removed on close. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openBrowser(profilePrefix: string): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), `${profilePrefix}-`));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // No network chatter or background work: the page under test is all the browser loads.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Open the control panel of `base` as a person does: /panel sends a browser without a session to
 * the sign-in page, where the control token is typed in; the session cookie then lasts for the
 * browser context. Resolves once the panel shows the producer's state.
 */
export async function openPanel(context: BrowserContext, base: string, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/panel`);
  if (new URL(page.url()).pathname === '/panel/login') {
    await page.locator('#token').fill(token);
    await page.locator('#submit').click();
    await page.waitForURL(`${base}/panel`);
  }
  await page
    .locator('#state')
    .filter({ hasText: /Running|Paused/ })
    .waitFor();
  return page;
}
