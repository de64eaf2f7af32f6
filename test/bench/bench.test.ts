/**
 * The benchmark runs: `bench/run.ts --quick --no-write` exits 0, prints all six parts and loses
 * no task. No timing is asserted here; timing bounds live in the benchmark's own output.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

describe('npm run bench -- --quick', () => {
  it('exits 0, prints the six parts and loses no task', () => {
    const run = spawnSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['bench/run.ts', '--quick', '--no-write', '--tasks', '100', '--runs', '1', '--assembly', inject('assemblyDir')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        // Generous: the heavy tests share two cores (about 90 s alone).
        timeout: 420_000,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      },
    );
    const report = run.stdout ?? '';
    expect(run.status, `stderr:\n${(run.stderr ?? '').slice(-4000)}`).toBe(0);
    for (const heading of [
      '## 1. AWS calls per request',
      '## 2. State transitions per task',
      '## 3. Bundles',
      '## 4. Load on the local stack',
      '## 5. Cost per million tasks',
      '## 6. Live status: WebSocket, events, long poll, webhooks',
    ]) {
      expect(report).toContain(heading);
    }
    expect(report).toMatch(/\| \*\*tasks lost or stuck\*\* \| \*\*0\*\* \|/);
    expect(report).toContain('latency.svg');
    // Part 3 weighs the console beside the function bundles.
    expect(report).toMatch(/\*\*The console\*\* .*KiB gzipped in all, of its budget of 60\.0 KiB/);
  }, 440_000);
});
