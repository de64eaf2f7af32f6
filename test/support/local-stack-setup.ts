/**
 * Vitest globalSetup: runs the local stack (`bin/local.ts`) as a child process for the whole test
 * run and provides its coordinates as `inject('localStack')`.
 *
 * - API keys: two test keys (`LONGRUN_API_KEYS`), so isolation between callers can be tested.
 * - State machine timeout: `LONGRUN_EXECUTION_TIMEOUT_SECONDS` (default here: 20 s, so a timeout
 *   test can wait for TIMED_OUT; override it from the environment of `vitest run`).
 * - Startup waits up to 90 s for the ready file; on failure the child's stderr is surfaced.
 * - Teardown: SIGTERM, then SIGKILL after 10 s; DynamoDB Local's Java process is stopped by the child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { ProvidedLocalStack } from './provided.d.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const READY_TIMEOUT_MS = 90_000;
export const CORS_TEST_ORIGIN = 'https://app.example.test';
const KILL_AFTER_MS = 10_000;

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      res(true);
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-local-'));
  const readyFile = join(dir, 'ready.json');
  const keys = [`test-a-${randomBytes(8).toString('hex')}`, `test-b-${randomBytes(8).toString('hex')}`];
  const executionTimeoutSeconds = Number(process.env.LONGRUN_EXECUTION_TIMEOUT_SECONDS ?? 20);

  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/local.ts', '--port', '0', '--ready-json', readyFile, '--quiet'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LONGRUN_API_KEYS: keys.join(','),
      LONGRUN_EXECUTION_TIMEOUT_SECONDS: String(executionTimeoutSeconds),
      // One browser origin, so the CORS tests see the construct's preflight and headers.
      LONGRUN_CORS_ALLOW_ORIGINS: CORS_TEST_ORIGIN,
      // Webhook retries after 1, 2 and 4 s instead of 5 s … 10 h, so the receiver tests finish.
      LONGRUN_WEBHOOK_RETRY_DELAYS: process.env.LONGRUN_WEBHOOK_RETRY_DELAYS ?? '1,2,4',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
    if (process.env.LONGRUN_LOCAL_LOG) process.stderr.write(chunk);
  });
  child.stdout?.on('data', () => {});

  const teardown = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, KILL_AFTER_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (!existsSync(readyFile)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the local stack exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      }
      if (Date.now() > deadline) throw new Error(`the local stack was not ready within ${READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await teardown();
    throw new Error(`${(err as Error).message}\n--- local stack stderr ---\n${stderr}`);
  }

  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as Omit<ProvidedLocalStack, 'executionTimeoutSeconds'>;
  project.provide('localStack', { ...ready, executionTimeoutSeconds });
  return teardown;
}
