/**
 * The console (GET /v1/console) in headless Chromium, against a local stack of its own (so that the list holds
 * exactly the tasks this file made): enter a key, see that caller's tasks only, filter, follow a running task to
 * 100 % live, cancel one, submit one through the generated form, read a failed task's problem and a stored
 * result; axe-core on the list and task pages. A screenshot per view goes to test/e2e/screenshots (gitignored).
 *
 * Steering (retry, awaited input) is tested here too: the console shows it because the API's OpenAPI document
 * describes it, and a document that stopped describing it fails these tests.
 */
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Capabilities, detectCapabilities } from '../../lambdas/console/capabilities.ts';
import { axeViolations, CHROMIUM, launchBrowser, NO_CHROMIUM_REASON, screenshot } from '../support/browser.ts';
import { sleep } from '../support/http.ts';
import { type SpawnedLocalStack, spawnLocalStack } from '../support/spawn-local-stack.ts';

if (!CHROMIUM) console.warn(`console browser tests skipped: ${NO_CHROMIUM_REASON}`);

const CAROL = `console-carol-${crypto.randomUUID()}`;
const DAVE = `console-dave-${crypto.randomUUID()}`;

type Task = { id: string; type: string; status: string; progress: { percent: number }; error?: { detail?: string }; attempt?: number };

describe.skipIf(!CHROMIUM)('console in headless Chromium', () => {
  let stack: SpawnedLocalStack;
  let browser: Browser;
  let page: Page;
  let caps: Capabilities;
  /** Every URL the page asked for. */
  const requested: string[] = [];
  /** Every WebSocket the page opened (its URL, from Chromium's DevTools protocol), and the console errors it logged. */
  const sockets: string[] = [];
  const consoleErrors: string[] = [];
  const carol = {} as Record<'running' | 'failed' | 'done' | 'stored' | 'followed', Task>;
  const dave: Task[] = [];

  async function call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function submit(key: string, type: string, input: unknown): Promise<Task> {
    const answer = await call(key, 'POST', '/tasks', { type, input });
    expect(answer.status).toBe(202);
    return answer.body;
  }

  /** Polls the API (not the page) until the task satisfies `done`. */
  async function until(key: string, id: string, done: (task: Task) => boolean): Promise<Task> {
    for (let i = 0; ; i++) {
      const { body } = await call(key, 'GET', `/tasks/${id}`);
      if (done(body)) return body;
      if (i > 600) throw new Error(`task ${id} never got there: ${JSON.stringify(body)}`);
      await sleep(100);
    }
  }

  const textOf = (selector: string) => page.$eval(selector, (el: any) => el.textContent as string);
  const rows = () =>
    page.$$eval('tr[data-task-id]', (trs: any[]) => trs.map((tr) => ({ id: tr.dataset.taskId as string, status: tr.dataset.status as string })));
  /** Waits until the list shows exactly these task ids (in any order). */
  const listShows = (ids: string[]) =>
    page.waitForFunction(
      (wanted: string[]) => {
        const shown = [...(globalThis as any).document.querySelectorAll('tr[data-task-id]')].map((tr: any) => tr.dataset.taskId).sort();
        return JSON.stringify(shown) === JSON.stringify([...wanted].sort());
      },
      { timeout: 30_000 },
      ids,
    );
  const statusShown = () => textOf('.page-head .status');
  const waitForStatus = (status: string) =>
    page.waitForFunction(
      (s: string) => (globalThis as any).document.querySelector('.page-head .status')?.textContent === s,
      { timeout: 60_000 },
      status,
    );
  const go = (hash: string) => page.evaluate((h: string) => ((globalThis as any).location.hash = h), hash);

  beforeAll(async () => {
    stack = await spawnLocalStack(['--assembly', inject('assemblyDir')], { env: { LONGRUN_API_KEYS: `carol=${CAROL},dave=${DAVE}` } });
    caps = detectCapabilities(await (await fetch(`${stack.baseUrl}/openapi.json`)).json());
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('request', (request: HTTPRequest) => {
      requested.push(request.url());
    });
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketCreated', (event) => sockets.push(event.url));
    // Carol: one task in each state the page has to show. Dave: tasks Carol must never see.
    carol.running = await submit(CAROL, 'sleep', { seconds: 600 });
    carol.failed = await submit(CAROL, 'fail', { message: 'carol failure' });
    carol.done = await submit(CAROL, 'sleep', { seconds: 0 });
    carol.stored = await submit(CAROL, 'report', { sizeKb: 100 });
    dave.push(await submit(DAVE, 'sleep', { seconds: 0 }), await submit(DAVE, 'fail', { message: 'dave secret' }));
    await until(CAROL, carol.running.id, (t) => t.status === 'running');
    await until(CAROL, carol.failed.id, (t) => t.status === 'failed');
    await until(CAROL, carol.done.id, (t) => t.status === 'succeeded');
    await until(CAROL, carol.stored.id, (t) => t.status === 'succeeded');
    for (const task of dave) await until(DAVE, task.id, (t) => t.status !== 'pending' && t.status !== 'running');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('loads without a key, under a strict Content-Security-Policy, and asks for the key', async () => {
    const response = (await page.goto(`${stack.baseUrl}/console`))!;
    expect(response.status()).toBe(200);
    const csp = response.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    // The live channel's WebSocket origin (the local front's, resolved like the watch tokens' URL).
    if (caps.live) expect(csp).toMatch(/connect-src 'self'[^;]* ws:\/\/127\.0\.0\.1:\d+[ ;]/);
    await page.waitForSelector('#api-key');
    expect(await page.$eval('label[for="api-key"]', (el: any) => el.textContent)).toBe('API key');
    // A key the API refuses is said so, readably.
    await page.type('#api-key', 'not-a-key');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.problem');
    expect(await textOf('.problem')).toMatch(/API key/);
    await screenshot(page, 'console-key');
  });

  it("shows the caller's own tasks only, with the key in sessionStorage and never in a URL", async () => {
    await page.$eval('#api-key', (el: any) => {
      el.value = '';
    });
    await page.type('#api-key', CAROL);
    await page.click('button[type="submit"]');
    await page.waitForSelector('table.tasks');
    await listShows(Object.values(carol).map((t) => t.id));
    const shown = await rows();
    for (const task of dave) expect(shown.map((r) => r.id)).not.toContain(task.id);
    expect(await textOf('main')).not.toContain('dave');
    expect(Object.fromEntries(shown.map((r) => [r.id, r.status]))).toMatchObject({
      [carol.running.id]: 'running',
      [carol.failed.id]: 'failed',
      [carol.done.id]: 'succeeded',
    });
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('longrun-console:api-key'))).toBe(CAROL);
    expect(await textOf('header')).not.toContain(CAROL.slice(0, 12));
    for (const url of requested) expect(url).not.toContain(CAROL);
    // A task here is open: the list follows over one live-channel connection (a caller-wide token), else re-reads.
    const listLive = caps.live ? 'over the live channel (WebSocket)' : 'Live: re-read every';
    await page.waitForFunction(
      (t: string) => (globalThis as any).document.querySelector('.live')?.textContent.includes(t),
      { timeout: 30_000 },
      listLive,
    );
    if (caps.live) expect(sockets.filter((url) => url.includes('token='))).toHaveLength(1);
    await screenshot(page, 'console-list');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('filters by status and by type', async () => {
    await page.select('#filter-status', 'failed');
    await listShows([carol.failed.id]);
    expect(await page.evaluate(() => (globalThis as any).location.hash)).toBe('#/?status=failed');
    await screenshot(page, 'console-list-failed');
    await page.select('#filter-status', '');
    await page.select('#filter-type', 'sleep');
    await listShows([carol.running.id, carol.done.id]);
    // The API lists by status only (until issue 18): the page says the type is matched among the loaded tasks.
    if (!caps.listFilters.type) expect(await textOf('.note')).toMatch(/lists by status only/);
    await page.select('#filter-type', 'report');
    await listShows([carol.stored.id]);
    await page.select('#filter-status', 'running');
    await page.select('#filter-type', 'fail');
    await page.waitForSelector('.empty');
    expect(await textOf('.empty')).toMatch(/No task matches these filters/);
    await screenshot(page, 'console-list-empty');
    await go('#/');
    await listShows(Object.values(carol).map((t) => t.id));
  });

  it('opens a running task from the list and follows it live to 100 %', async () => {
    const task = await submit(CAROL, 'sleep', { seconds: 6 });
    carol.followed = task;
    // The list picks it up by itself (it re-reads while a task is open).
    await page.waitForSelector(`tr[data-task-id="${task.id}"] a`, { timeout: 30_000 });
    await page.click(`tr[data-task-id="${task.id}"] a`);
    await page.waitForSelector('.page-head .status');
    const first = await statusShown();
    expect(['pending', 'running']).toContain(first);
    expect(await page.$eval('.card progress', (el: any) => el.value)).toBeLessThan(100);
    // Record every state the page shows from now on, without reloading it.
    await page.evaluate(() => {
      const w = globalThis as any;
      w.__seen = [];
      w.__sameDocument = true;
      const record = () => {
        const status = w.document.querySelector('.page-head .status')?.textContent;
        const percent = w.document.querySelector('.card progress')?.value;
        const last = w.__seen.at(-1);
        if (!last || last.status !== status || last.percent !== percent) w.__seen.push({ status, percent });
      };
      record();
      new w.MutationObserver(record).observe(w.document.querySelector('main'), {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    });
    // Over the live channel where the API offers it (no event stream then), else the event stream.
    const channel = caps.live ? 'live channel (WebSocket)' : 'event stream';
    await page.waitForFunction(
      (t: string) => (globalThis as any).document.querySelector('.live')?.textContent.includes(t),
      { timeout: 30_000 },
      channel,
    );
    await screenshot(page, 'console-task-running');
    await waitForStatus('succeeded');
    expect(await page.$eval('.card progress', (el: any) => el.value)).toBe(100);
    expect(await textOf('.card .percent')).toBe('100 %');
    const seen = (await page.evaluate(() => (globalThis as any).__seen)) as Array<{ status: string; percent: number }>;
    expect(await page.evaluate(() => (globalThis as any).__sameDocument)).toBe(true);
    expect(seen[0]!.status).toMatch(/pending|running/);
    expect(seen.at(-1)).toEqual({ status: 'succeeded', percent: 100 });
    await page.waitForSelector('pre.json[aria-label="Result"]');
    expect(JSON.parse(await textOf('pre.json[aria-label="Result"]'))).toEqual({ seconds: 6 });
    expect(await textOf('.live')).toMatch(/Final/);
    if (caps.live) {
      expect(requested.filter((url) => url.includes(`/tasks/${task.id}/events`))).toEqual([]);
      expect(requested.filter((url) => url.endsWith('/watch-tokens')).length).toBeGreaterThanOrEqual(1);
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      // No Content-Security-Policy violation: connect-src names the WebSocket's origin.
      expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
    }
    await screenshot(page, 'console-task-succeeded');
    expect(await axeViolations(page)).toEqual([]);
  });

  /** Every watch token the page asks for carries `url`, a socket that never opens: the task page follows the event stream instead. */
  async function fallsBack(url: (real: string) => string, opened: boolean) {
    const task = await submit(CAROL, 'sleep', { seconds: 3 });
    const real = await call(CAROL, 'POST', '/watch-tokens', {});
    expect(real.status).toBe(201);
    const token = { ...real.body, token: 'lrw_refused', url: url(String(real.body.url).replace(/token=[^&]+/, 'token=lrw_refused')) };
    const tokens: string[] = [];
    const handOut = (request: HTTPRequest) => {
      if (request.isInterceptResolutionHandled()) return;
      if (request.method() !== 'POST' || !request.url().endsWith('/watch-tokens')) return void request.continue();
      tokens.push(request.postData() ?? '');
      return void request.respond({ status: 201, contentType: 'application/json', body: JSON.stringify({ ...token, taskId: task.id }) });
    };
    await page.setRequestInterception(true);
    page.on('request', handOut);
    try {
      const before = sockets.length;
      await go(`#/tasks/${task.id}`);
      await page.waitForFunction(() => (globalThis as any).document.querySelector('.live')?.textContent.includes('event stream'), {
        timeout: 30_000,
      });
      await waitForStatus('succeeded');
      expect(await page.$eval('.card progress', (el: any) => el.value)).toBe(100);
      expect(tokens).toContain(JSON.stringify({ taskId: task.id }));
      if (opened) expect(sockets.slice(before).some((u) => u.includes('token=lrw_refused'))).toBe(true);
      expect(requested.filter((u) => u.includes(`/tasks/${task.id}/events`)).length).toBeGreaterThanOrEqual(1);
    } finally {
      page.off('request', handOut);
      await page.setRequestInterception(false);
    }
  }

  it('falls back to the event stream when the live channel does not open: a watch token the WebSocket refuses (401)', async () => {
    if (!caps.live) return void console.warn('skipped: the document has no POST /watch-tokens');
    await fallsBack((real) => real, true);
  });

  it('falls back to the event stream when the live channel does not open: an origin its Content-Security-Policy blocks', async () => {
    if (!caps.live) return void console.warn('skipped: the document has no POST /watch-tokens');
    // Chromium fires `error` (and no `close`) for a socket the policy blocks.
    await fallsBack((real) => real.replace(/^ws:\/\/[^/]+/, 'ws://127.0.0.1:9'), false);
  });

  it('cancels a running task', async () => {
    await go(`#/tasks/${carol.running.id}`);
    await waitForStatus('running');
    await page.click('#cancel-task');
    await waitForStatus('cancelled');
    await page.waitForSelector('#error-heading');
    expect(await textOf('.task-error')).toMatch(/cancel/i);
    expect((await call(CAROL, 'GET', `/tasks/${carol.running.id}`)).body.status).toBe('cancelled');
    expect(await page.$('#cancel-task')).toBeNull();
    await screenshot(page, 'console-task-cancelled');
  });

  it("shows a failed task's problem, and a stored result as a link", async () => {
    await go(`#/tasks/${carol.failed.id}`);
    await waitForStatus('failed');
    expect(await textOf('.task-error')).toContain('carol failure');
    await screenshot(page, 'console-task-failed');
    await go(`#/tasks/${carol.stored.id}`);
    await page.waitForSelector('a.result-link', { timeout: 30_000 });
    const link = await page.$eval('a.result-link', (a: any) => a.href as string);
    expect(link.startsWith(stack.s3Endpoint!)).toBe(true);
    expect(await textOf('pre.json[aria-label="Result"]')).toMatch(/"sizeKb": 100/);
    await screenshot(page, 'console-task-stored-result');
  });

  it("says so, readably, for another caller's task (404: never whose it is)", async () => {
    await go(`#/tasks/${dave[1]!.id}`);
    await page.waitForSelector('.problem');
    expect(await textOf('.problem')).toMatch(/Not Found.*another caller/s);
    expect(await textOf('main')).not.toContain('dave secret');
  });

  it('submits a task through the form generated from the OpenAPI document', async () => {
    await go('#/new');
    await page.waitForSelector('#submit-type');
    expect(await page.$$eval('#submit-type option', (options: any[]) => options.map((o) => o.value))).toEqual(caps.taskTypes.map((t) => t.name));
    await page.select('#submit-type', 'primes');
    await page.waitForSelector('#submit_input_upTo');
    expect(await page.$eval('#submit_input_upTo', (el: any) => [el.type, el.required, el.min, el.max])).toEqual(['number', true, '2', '10000000']);
    // The API's problem is shown at the field it names (a private callback address is refused).
    await page.type('#submit_input_upTo', '100000');
    await page.type('#submit_callbackUrl', 'https://10.0.0.1/hook');
    await page.click('button[type="submit"]');
    await page.waitForSelector('#submit_callbackUrl-error');
    expect(await page.$eval('#submit_callbackUrl', (el: any) => el.getAttribute('aria-invalid'))).toBe('true');
    expect(await textOf('.problem')).toMatch(/callbackUrl/);
    await screenshot(page, 'console-submit-problem');
    await page.$eval('#submit_callbackUrl', (el: any) => {
      el.value = '';
      el.dispatchEvent(new el.ownerDocument.defaultView.Event('input', { bubbles: true }));
    });
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => (globalThis as any).location.hash.startsWith('#/tasks/'), { timeout: 30_000 });
    const id = decodeURIComponent((await page.evaluate(() => (globalThis as any).location.hash as string)).slice('#/tasks/'.length));
    await waitForStatus('succeeded');
    await page.waitForSelector('pre.json[aria-label="Result"]');
    expect(JSON.parse(await textOf('pre.json[aria-label="Result"]'))).toEqual({ count: 9592 });
    const task = (await call(CAROL, 'GET', `/tasks/${id}`)).body as Task;
    expect(task).toMatchObject({ type: 'primes', status: 'succeeded' });
    await screenshot(page, 'console-submitted');
  });

  // Steering: the API describes it, so a missing operation is a failure, not a skip.
  const steering = (missing: string | undefined) => {
    if (missing) throw new Error(missing);
  };

  it('retries a failed task (POST /tasks/{id}/retry)', async () => {
    steering(caps.retry ? undefined : 'the OpenAPI document describes no POST /tasks/{id}/retry');
    const flaky = caps.taskTypes.some((t) => t.name === 'flaky');
    const task = flaky ? await submit(CAROL, 'flaky', { failures: 1 }) : await submit(CAROL, 'fail', { message: 'retry me' });
    await until(CAROL, task.id, (t) => t.status === 'failed');
    await go(`#/tasks/${task.id}`);
    await waitForStatus('failed');
    await page.click('#retry-task');
    await waitForStatus(flaky ? 'succeeded' : 'failed');
    expect((await call(CAROL, 'GET', `/tasks/${task.id}`)).body.attempt).toBe(2);
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.details')?.textContent.includes('Attempt2'), { timeout: 30_000 });
    await screenshot(page, 'console-task-retried');
  });

  it('answers an awaited input through the form generated from its JSON Schema (POST /tasks/{id}/input)', async () => {
    steering(
      !caps.input
        ? 'the OpenAPI document describes no POST /tasks/{id}/input'
        : !caps.taskTypes.some((t) => t.name === 'approval')
          ? 'the deployment has no `approval` task type'
          : undefined,
    );
    const task = await submit(CAROL, 'approval', { question: 'Ship it?' });
    await go(`#/tasks/${task.id}`);
    await page.waitForSelector('#input-heading', { timeout: 60_000 });
    expect(await textOf('.awaiting')).toContain('Ship it?');
    await screenshot(page, 'console-task-awaiting-input');
    await page.click('#awaited_approved');
    await page.click('.awaiting button[type="submit"]');
    await waitForStatus('succeeded');
    await page.waitForSelector('pre.json[aria-label="Result"]');
    expect(JSON.parse(await textOf('pre.json[aria-label="Result"]'))).toMatchObject({ approved: true });
  });
});
