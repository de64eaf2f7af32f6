/**
 * The browser example (examples/progress.html, served by the local stack at /v1/demo.html) in
 * headless Chromium, driven by puppeteer-core: it submits a primes task, reads the event stream
 * with fetch and shows the task reaching 100 %. Skipped, saying so, where no Chromium is
 * installed (CI installs the Debian package: see .ci/run).
 */
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, NO_CHROMIUM_REASON, screenshot } from '../support/browser.ts';
import { localStack } from '../support/http.ts';

if (!CHROMIUM) console.warn(`browser example test skipped: ${NO_CHROMIUM_REASON}`);

describe.skipIf(!CHROMIUM)('browser example in headless Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({ width: 800, height: 1000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  const text = (id: string) => page.$eval(`#${id}`, (el: any) => el.textContent as string);

  it('submits a primes task and shows it reaching 100 % from the event stream', async () => {
    const stack = localStack();
    await page.goto(`${stack.baseUrl}/demo.html`);
    await page.waitForSelector('#submit');
    expect(await page.$eval('#url', (el: any) => el.value)).toBe(stack.baseUrl);
    // Every percentage the page shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const w = globalThis as any;
      const percent = w.document.getElementById('percent');
      w.__percents = new Set([percent.textContent]);
      new w.MutationObserver(() => w.__percents.add(percent.textContent)).observe(percent, { childList: true, characterData: true, subtree: true });
    });
    await page.$eval('#key', (el: any, key: string) => (el.value = key), stack.apiKeys[0]!);
    await page.select('#type', 'primes');
    await page.$eval('#input', (el: any) => (el.value = '{"upTo": 5000000}'));
    await page.click('#submit');
    // Ends with the result once the last event arrived (or with an error shown, which fails below).
    await page.waitForFunction(
      () => {
        const outcome = (globalThis as any).document.getElementById('outcome').textContent as string;
        return outcome.startsWith('Result:') || /error|\d{3} /.test(outcome);
      },
      { timeout: 60_000 },
    );
    expect({
      percent: await text('percent'),
      status: await text('status'),
      bar: await page.$eval('#bar', (el: any) => el.value),
      outcome: await text('outcome'),
    }).toEqual({ percent: '100', status: 'succeeded', bar: 100, outcome: 'Result: {"count":348513}' });
    // From 0 % at submit to 100 %; how many states between depends on load (the worker shares the local stack's process).
    const percents = (await page.evaluate(() => [...(globalThis as any).__percents])) as string[];
    expect(percents).toEqual(expect.arrayContaining(['0', '100']));
    expect(await text('log')).toMatch(/done: succeeded 100 %/);
    console.log(`browser example screenshot: ${await screenshot(page, 'browser-example')}`);
  }, 120_000);
});
