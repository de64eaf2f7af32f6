/**
 * `npm run smoke` as a deployer runs it (a child process, plain HTTP): green against the local
 * stack, and red when the API answers wrong (problem+json rewritten by a proxy), never answers
 * (`--timeout`), or is called without credentials.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SmokeReport } from '@longrun/client';
import { afterEach, describe, expect, inject, it } from 'vitest';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CHECK_NAMES = [
  'OpenAPI document is public',
  '401 without credentials',
  '400 for an invalid submit',
  'submit primes: 202 + Location',
  'poll primes until succeeded',
  'result of primes',
  'ETag: If-None-Match answers 304',
  'fail: failed with its message',
  'cancel a running task',
  'cancel again: 200, idempotent',
  'Idempotency-Key replay: same task',
  'retry the cancelled task: attempt 2, in its history',
  'purge the cancelled task: 204, then 410',
  'Prefer: wait on submit: a quick task answered 200 with its result',
  'metadata: a filtered listing finds the tagged task',
  '400 naming a malformed Cancel-After or metadata',
  '404 for an unknown task',
];

function smoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env = { ...process.env, LONGRUN_URL: '', LONGRUN_API_KEY: '', LONGRUN_TOKEN: '' };
    execFile(
      resolve(REPO_ROOT, 'node_modules/.bin/node'),
      [resolve(REPO_ROOT, 'packages/client/dist/bin/longrun.js'), 'smoke', ...args],
      { cwd: REPO_ROOT, env },
      (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('npm run smoke', () => {
  it('passes every check against the local stack and prints the table', async () => {
    const stack = inject('localStack');
    const { code, stdout } = await smoke(['--url', stack.baseUrl, '--api-key', stack.apiKeys[0]!]);
    const rows = stdout.split('\n').filter((l) => /^ {2}(PASS|FAIL|SKIP) /.test(l));
    expect(rows.map((l) => l.slice(8).split(/ {2,}/)[0])).toEqual(CHECK_NAMES);
    expect(
      rows.filter((l) => !l.startsWith('  PASS')),
      stdout,
    ).toEqual([]);
    expect(stdout).toContain(`${CHECK_NAMES.length} checks: ${CHECK_NAMES.length} passed, 0 failed`);
    expect(code).toBe(0);
  }, 180_000);

  it('fails the problem+json checks when errors come back as plain JSON, and exits 1', async () => {
    const target = new URL(inject('localStack').baseUrl);
    // A proxy that forwards everything but labels problem details application/json.
    const proxy = createServer((req, res) => {
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const headers = { ...answer.headers };
        if (String(headers['content-type']).startsWith('application/problem+json')) headers['content-type'] = 'application/json';
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    const url = `${await listen(proxy)}${target.pathname}`;
    const { code, stdout } = await smoke(['--url', url, '--api-key', inject('localStack').apiKeys[0]!, '--json']);
    const report = JSON.parse(stdout) as SmokeReport;
    const status = Object.fromEntries(report.rows.map((r) => [r.name, r.status]));
    expect(status).toMatchObject({
      '401 without credentials': 'FAIL',
      '400 for an invalid submit': 'FAIL',
      '404 for an unknown task': 'FAIL',
      'poll primes until succeeded': 'PASS',
      'result of primes': 'PASS',
    });
    expect(report.rows.find((r) => r.name === '404 for an unknown task')!.detail).toContain('not application/problem+json');
    expect(report.ok).toBe(false);
    expect(code).toBe(1);
  }, 180_000);

  it('waits out capacity answers (503 + Retry-After) as a client should, and still passes', async () => {
    const target = new URL(inject('localStack').baseUrl);
    // A gateway at its reserved concurrency, on demand: every POST is refused once before it goes through.
    let refused = 0;
    let refuseNext = true;
    const proxy = createServer((req, res) => {
      if (req.method === 'POST' && refuseNext) {
        refuseNext = false;
        refused++;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'retry later', instance: req.url }));
        return;
      }
      if (req.method === 'POST') refuseNext = true;
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    const url = `${await listen(proxy)}${target.pathname}`;
    const { code, stdout } = await smoke(['--url', url, '--api-key', inject('localStack').apiKeys[0]!, '--json']);
    const report = JSON.parse(stdout) as SmokeReport;
    expect(report.rows.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(refused).toBeGreaterThanOrEqual(8);
    expect(code).toBe(0);
  }, 180_000);

  it('is bounded by --timeout against an API that never answers', async () => {
    const silent = createServer(() => {}); // accepts, never responds
    const url = `${await listen(silent)}/v1`;
    const { code, stdout } = await smoke(['--url', url, '--api-key', 'k', '--timeout', '2', '--json']);
    const report = JSON.parse(stdout) as SmokeReport;
    expect(report.rows.length).toBe(CHECK_NAMES.length);
    expect(report.rows.every((r) => r.status === 'FAIL' || r.status === 'SKIP')).toBe(true);
    expect(report.rows[0]!.detail).toBe('timed out (--timeout)');
    expect(code).toBe(1);
    silent.closeAllConnections();
  }, 60_000);

  it('refuses to run without a URL or credentials (exit 2)', async () => {
    expect((await smoke(['--url', 'http://127.0.0.1:1/v1'])).code).toBe(2);
    expect((await smoke(['--api-key', 'k'])).code).toBe(2);
  });
});
