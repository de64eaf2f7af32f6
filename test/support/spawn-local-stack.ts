/**
 * Runs `bin/local.ts` as a child process with extra arguments (e.g. `--app <stack module>`), for
 * tests that need a local stack other than the shared one of the global setup. Waits for its
 * ready file; `stop()` sends SIGTERM (the child stops DynamoDB Local), then SIGKILL after 10 s.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProvidedLocalStack } from './provided.d.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface SpawnedLocalStack extends Omit<ProvidedLocalStack, 'executionTimeoutSeconds'> {
  stop(): Promise<void>;
}

export async function spawnLocalStack(args: string[], options: { readyTimeoutMs?: number } = {}): Promise<SpawnedLocalStack> {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-spawned-'));
  const readyFile = join(dir, 'ready.json');
  const child = spawn(
    join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['bin/local.ts', '--port', '0', '--ready-json', readyFile, '--quiet', ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LONGRUN_API_KEYS: `spawned-${randomBytes(8).toString('hex')}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
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
