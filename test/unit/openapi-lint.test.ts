/** `npm run lint:openapi`: the document passes Redocly's lint (recommended + scripts/redocly.yaml) with no errors. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('OpenAPI lint', () => {
  it('redocly lint passes with zero errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'longrun-lint-'));
    try {
      const out = join(dir, 'openapi.json');
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/openapi.ts', '--out', out, '--lint'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, NO_COLOR: '1' },
        timeout: 50_000,
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output).toBe(0);
      expect(output).toContain(out);
      expect(output).toMatch(/valid/i);
      expect(output).not.toMatch(/\d+ errors?\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
