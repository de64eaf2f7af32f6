/**
 * The browser example (examples/progress.html, served by the local stack at /v1/demo.html) in
 * headless Chromium, driven over the DevTools protocol: it submits a primes task, reads the event
 * stream with fetch and shows the task reaching 100 %. Skipped, saying so, where no Chromium is
 * installed (CI installs the Debian package: see .ci/run).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStack, sleep } from '../support/http.ts';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const chromium = findChromium();
if (!chromium) console.warn('browser example test skipped: no Chromium on this machine (apt-get install -y chromium)');

/** A minimal DevTools protocol session over the page's WebSocket. */
class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = data.id === undefined ? undefined : this.pending.get(data.id);
      if (!waiter) return;
      this.pending.delete(data.id!);
      if (data.error) waiter.reject(new Error(data.error.message));
      else waiter.resolve(data.result);
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Cdp(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (exceptionDetails) throw new Error(`page: ${JSON.stringify(exceptionDetails).slice(0, 300)}`);
    return result.value as T;
  }

  close(): void {
    this.socket.close();
  }
}

describe.skipIf(!chromium)('browser example in headless Chromium', () => {
  let browser: ChildProcess | undefined;
  let profile = '';
  let cdp: Cdp | undefined;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'longrun-chromium-'));
    const args = [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ];
    browser = spawn(chromium!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${stderr.slice(-2000)}`)), 60_000);
      browser!.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /DevTools listening on (ws:\/\/[^\s]+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      browser!.once('exit', (code) => reject(new Error(`Chromium exited (${code}): ${stderr.slice(-2000)}`)));
    });
    const { host } = new URL(endpoint);
    const targets = (await (await fetch(`http://${host}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    cdp = await Cdp.connect(targets.find((t) => t.type === 'page')!.webSocketDebuggerUrl);
    await cdp.send('Runtime.enable');
  }, 90_000);

  afterAll(async () => {
    cdp?.close();
    if (browser && browser.exitCode === null) {
      browser.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          browser!.kill('SIGKILL');
          resolve(undefined);
        }, 5_000);
        browser!.once('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    // Chromium's helper processes may still be writing its profile for a moment after it exits.
    try {
      if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
    } catch {
      // Still being written by a Chromium helper process: a leftover temporary profile is no test failure.
    }
  });

  it('submits a primes task and shows it reaching 100 % from the event stream', async () => {
    const stack = localStack();
    await cdp!.send('Page.enable');
    await cdp!.send('Emulation.setDeviceMetricsOverride', { width: 800, height: 1000, deviceScaleFactor: 1, mobile: false });
    await cdp!.send('Page.navigate', { url: `${stack.baseUrl}/demo.html` });
    for (let i = 0; i < 200 && (await cdp!.evaluate<string>('document.readyState + !!document.getElementById("submit")')) !== 'completetrue'; i++)
      await sleep(100);
    expect(await cdp!.evaluate<string>('document.getElementById("url").value')).toBe(stack.baseUrl);
    await cdp!.evaluate(`(() => {
      document.getElementById('key').value = ${JSON.stringify(stack.apiKeys[0])};
      document.getElementById('type').value = 'primes';
      document.getElementById('input').value = '{"upTo": 5000000}';
      document.getElementById('submit').click();
    })()`);
    const percents = new Set<string>();
    let state = { percent: '', status: '', bar: 0, outcome: '' };
    for (let i = 0; i < 600 && state.status !== 'succeeded'; i++) {
      state = await cdp!.evaluate(`({
        percent: document.getElementById('percent').textContent,
        status: document.getElementById('status').textContent,
        bar: document.getElementById('bar').value,
        outcome: document.getElementById('outcome').textContent,
      })`);
      percents.add(state.percent);
      if (/error|\d{3} /.test(state.outcome)) break;
      await sleep(100);
    }
    // The result is fetched after the last event.
    for (let i = 0; i < 50 && !state.outcome; i++) {
      await sleep(100);
      state.outcome = await cdp!.evaluate<string>('document.getElementById("outcome").textContent');
    }
    expect(state).toMatchObject({ percent: '100', status: 'succeeded', bar: 100 });
    expect(state.outcome).toBe('Result: {"count":348513}');
    // From 0 % at submit to 100 %; how many states between depends on load (the worker shares the local stack's process).
    expect(percents.has('0') || percents.size >= 2, 'the bar moved').toBe(true);
    const log = await cdp!.evaluate<string>('document.getElementById("log").textContent');
    expect(log).toMatch(/done: succeeded 100 %/);
    // A screenshot of the finished page, for a human to look at.
    const shot = await cdp!.send('Page.captureScreenshot', { format: 'png' });
    const file = join(tmpdir(), 'longrun-browser-example.png');
    writeFileSync(file, Buffer.from(shot.data as string, 'base64'));
    console.log(`browser example screenshot: ${file}`);
  }, 120_000);
});
