/**
 * Crash test: `longrun-local --persist <dir>` under load, `kill -9` of its whole process group
 * (Node, DynamoDB Local's Java), then `longrun-local --persist <dir>` again. Every task
 * accepted (202) before the kill reaches an outcome within a bounded time (finished, or
 * `execution-lost` where its execution died with the process), and no task that had succeeded
 * changes. Local executions live in memory, so after the restart the sweeper finds them missing:
 * that is the point.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, inject, it } from 'vitest';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const LONGRUN_LOCAL = join(REPO_ROOT, 'packages', 'local', 'dist', 'bin', 'longrun-local.js');
const KEY = 'crash-test-key';
const dir = mkdtempSync(join(tmpdir(), 'longrun-crash-'));
const children: ChildProcess[] = [];

async function start(name: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const readyFile = join(dir, `${name}.json`);
  const child = spawn(
    join(REPO_ROOT, 'node_modules', '.bin', 'node'),
    [LONGRUN_LOCAL, '--assembly', inject('assemblyDir'), '--port', '0', '--persist', join(dir, 'db'), '--ready-json', readyFile, '--quiet'],
    {
      cwd: REPO_ROOT,
      // Its own process group, so that kill -9 takes everything it started.
      detached: true,
      env: {
        ...process.env,
        LONGRUN_API_KEYS: KEY,
        LONGRUN_SWEEP_INTERVAL_SECONDS: '1',
        LONGRUN_SWEEP_AGE_SECONDS: '3',
        // The demo's `quick` type runs on Express: a run lost with the process is found by its deadline (10 s + 1 min of grace).
        LONGRUN_EXPRESS_TIMEOUT_SECONDS: '10',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5000)));
  const deadline = Date.now() + 120_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`local stack ${name} did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, baseUrl: JSON.parse(readFileSync(readyFile, 'utf8')).baseUrl as string };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function api(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

afterAll(async () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

it('kill -9 under load, restart on the same data: every accepted task reaches an outcome, no success changes', async () => {
  const first = await start('first');
  const accepted: string[] = [];
  let stop = false;
  // 8 clients submitting a mix until the kill: short and long sleeps, primes, failures; the same on Express (`quick`).
  const inputs = [
    { type: 'primes', input: { upTo: 20_000 } },
    { type: 'sleep', input: { seconds: 30 } },
    { type: 'sleep', input: { seconds: 1 } },
    { type: 'fail', input: { message: 'crash test' } },
    { type: 'quick', input: { upTo: 20_000 } },
    { type: 'quick', input: { seconds: 5 } },
    { type: 'quick', input: { message: 'crash test' } },
  ];
  const load = Promise.all(
    Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await api(first.baseUrl, 'POST', '/tasks', inputs[(c + i) % inputs.length]);
          if (res.status === 202) accepted.push(res.body.id);
        } catch {
          return; // the stack is gone
        }
      }
    }),
  );
  // Load until enough is accepted and something has succeeded, however busy the machine is (the
  // heavy tests share it): at least 6 s, at most 90 s.
  const before = new Map<string, any>();
  const started = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    if (Date.now() - started < 6_000) continue;
    // What had succeeded before the kill, as a client saw it.
    for (const id of accepted.slice(0, 40)) {
      if (before.has(id)) continue;
      const { body } = await api(first.baseUrl, 'GET', `/tasks/${id}`);
      if (body?.status === 'succeeded') before.set(id, body);
    }
    if ((accepted.length > 20 && before.size > 0) || Date.now() - started > 90_000) break;
  }
  killGroup(first.child, 'SIGKILL');
  stop = true;
  await load;
  expect(accepted.length).toBeGreaterThan(20);
  expect(before.size).toBeGreaterThan(0);

  const second = await start('second');
  const deadline = Date.now() + 120_000;
  const outcomes = new Map<string, any>();
  while (outcomes.size < accepted.length) {
    for (const id of accepted) {
      if (outcomes.has(id)) continue;
      const { status, body } = await api(second.baseUrl, 'GET', `/tasks/${id}`);
      expect(status).toBe(200);
      if (TERMINAL.includes(body.status)) outcomes.set(id, body);
    }
    if (outcomes.size < accepted.length && Date.now() > deadline) {
      throw new Error(`${accepted.length - outcomes.size} tasks still open 120 s after the restart`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  // URLs are absolute and the restarted stack listens on another port: compare them by path.
  const byPath = (task: any) => JSON.parse(JSON.stringify(task).replace(/https?:\/\/127\.0\.0\.1:\d+/g, ''));
  for (const [id, was] of before) expect(byPath(outcomes.get(id))).toEqual(byPath(was));
  const kinds = new Set([...outcomes.values()].map((t) => t.error?.type?.split('/').pop() ?? t.status));
  // Long sleeps were running when the process died: their executions are gone.
  expect(kinds).toContain('execution-lost');
  // Express tasks reached their outcomes too (those whose run died with the process: by the sweeper's deadline).
  const express = accepted.filter((id) => outcomes.get(id)?.type === 'quick');
  expect(express.length).toBeGreaterThan(0);
  killGroup(second.child, 'SIGTERM');
}, 400_000);
