/**
 * The browser example (examples/progress.html, served by the local stack at /v1/demo.html) on the
 * live channel, in headless Chromium driven by puppeteer-core: it submits a task with the API key,
 * gets a watch token and follows the task over the WebSocket to its result (no event stream, no
 * key on the socket); and, opened with only a token's URL, it follows a task without any API key.
 * Skipped, saying so, where no Chromium is installed (CI installs the Debian package: see .ci/run).
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, localStack } from '../support/http.ts';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'].find(existsSync);
if (!chromium) console.warn('browser live test skipped: no Chromium on this machine (apt-get install -y chromium)');

/** What a page did on the network: its HTTP requests (with their headers) and its WebSockets (URL, handshake headers). */
async function observe(page: Page) {
  const requests: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
  const sockets: Array<{ url: string; headers?: Record<string, string> }> = [];
  page.on('request', (request) => requests.push({ method: request.method(), url: request.url(), headers: request.headers() }));
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', (event) => sockets.push({ url: event.url }));
  cdp.on('Network.webSocketWillSendHandshakeRequest', (event) => {
    const socket = sockets.at(-1);
    if (socket) socket.headers = Object.fromEntries(Object.entries(event.request.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  });
  return { requests, sockets };
}

const text = (page: Page, id: string) => page.$eval(`#${id}`, (element) => element.textContent ?? '');

describe.skipIf(!chromium)('browser example on the live channel (headless Chromium)', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: chromium!,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('submits a primes task and follows it over the WebSocket with a watch token to its result', async () => {
    const stack = localStack();
    const page = await browser!.newPage();
    const seen = await observe(page);
    await page.goto(`${stack.baseUrl}/demo.html`);
    // The callbacks run in the page (this project's TypeScript has no DOM types: `value` is set untyped).
    const fill = (input: { value: string }, value: string) => {
      input.value = value;
    };
    await page.$eval('#key', fill, stack.apiKeys[0]!);
    await page.select('#type', 'primes');
    await page.$eval('#input', fill, '{"upTo": 5000000}');
    await page.click('#submit');
    await page.waitForFunction('document.getElementById("outcome").textContent.startsWith("Result")', { timeout: 60_000 });

    expect(await text(page, 'outcome')).toBe('Result: {"count":348513}');
    expect(await text(page, 'status')).toBe('succeeded');
    expect(await text(page, 'percent')).toBe('100');
    expect(await text(page, 'channel')).toBe('live (WebSocket)');
    expect(await text(page, 'log')).toMatch(/done: succeeded 100 %/);
    // One socket, to the live channel, carrying a watch token and never the API key.
    expect(seen.sockets).toHaveLength(1);
    const socket = new URL(seen.sockets[0]!.url);
    expect(`${socket.origin}${socket.pathname}`).toBe(stack.liveUrl);
    expect(socket.searchParams.get('token')).toMatch(/^lrw_/);
    expect(seen.sockets[0]!.url).not.toContain(stack.apiKeys[0]!);
    expect(seen.sockets[0]!.headers?.['x-api-key']).toBeUndefined();
    expect(seen.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/watch-tokens'))).toHaveLength(1);
    expect(seen.requests.filter((r) => r.url.endsWith('/events'))).toEqual([]);
    await page.close();
  }, 120_000);

  it('opened with only a watch token (no API key on the page), follows the task to its outcome', async () => {
    const stack = localStack();
    const submitted = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 2 } } });
    const token = await http('POST', '/watch-tokens', { body: { taskId: submitted.body.id } });
    expect(token.status).toBe(201);
    const page = await browser!.newPage();
    const seen = await observe(page);
    await page.goto(`${stack.baseUrl}/demo.html?task=${submitted.body.id}&live=${encodeURIComponent(token.body.url)}`);
    await page.waitForFunction('document.getElementById("outcome").textContent.startsWith("Outcome")', { timeout: 60_000 });
    expect(await text(page, 'outcome')).toBe('Outcome: succeeded');
    expect(await text(page, 'channel')).toBe('live (WebSocket)');
    // The page asked the API for nothing: it had no key to ask with.
    expect(seen.requests.filter((r) => r.url !== page.url() && !r.url.endsWith('/favicon.ico'))).toEqual([]);
    expect(seen.requests.some((r) => 'x-api-key' in r.headers)).toBe(false);
    await page.close();
  }, 120_000);
});
