/**
 * Runs `longrun-local` (the built CLI of @longrun/local, as a consumer runs it) as a child process
 * with the given arguments, waits for its ready file and returns its coordinates; `stop()` sends
 * SIGTERM (the child stops DynamoDB Local), then SIGKILL after 10 s.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProvidedLocalStack } from './provided.d.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
/** The one browser origin the shared stack allows, so the CORS tests see the construct's preflight and headers. */
export const CORS_TEST_ORIGIN = 'https://app.example.test';
const LONGRUN_LOCAL = join(REPO_ROOT, 'packages', 'local', 'dist', 'bin', 'longrun-local.js');
/** Node 22 (the `node` dev dependency), whatever runs the tests. */
const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');

export interface SpawnedLocalStack extends Omit<ProvidedLocalStack, 'executionTimeoutSeconds'> {
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Environment on top of this process's (a fresh API key by default). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Also print the child's stderr (LONGRUN_LOCAL_LOG). */
  echo?: boolean;
  cwd?: string;
}

export async function spawnLocalStack(args: string[], options: SpawnOptions = {}): Promise<SpawnedLocalStack> {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-spawned-'));
  const readyFile = join(dir, 'ready.json');
  const child = spawn(NODE, [LONGRUN_LOCAL, '--port', '0', '--ready-json', readyFile, '--quiet', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, LONGRUN_API_KEYS: `spawned-${randomBytes(8).toString('hex')}`, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
    if (options.echo) process.stderr.write(chunk);
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!killed) child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the local stack (${args.join(' ')}) did not get ready\n--- stderr ---\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...(JSON.parse(readFileSync(readyFile, 'utf8')) as Omit<ProvidedLocalStack, 'executionTimeoutSeconds'>), stop };
}
