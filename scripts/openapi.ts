/**
 * Writes the OpenAPI document of the demo deployment (`openApiDocument(DEMO_TASK_TYPES)`) to a file.
 *
 *   npx tsx scripts/openapi.ts [--out <file>] [--lint]
 *
 * `--out` defaults to <os temp dir>/longrun/openapi.json. Prints the path it wrote. With `--lint`
 * (`npm run lint:openapi`), then lints it with Redocly (`redocly lint --config scripts/redocly.yaml`,
 * the `recommended` ruleset plus a few stricter rules) and exits with the linter's status: 0 when
 * there are no errors (warnings are printed but do not fail).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openApiDocument } from '#api/openapi';
import { DEMO_TASK_TYPES } from '../lib/demo/task-types.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REDOCLY_CONFIG = join(REPO_ROOT, 'scripts', 'redocly.yaml');
export const DEFAULT_OPENAPI_PATH = join(tmpdir(), 'longrun', 'openapi.json');

/** The document the demo stack serves, as pretty-printed JSON. */
export function demoOpenApiJson(): string {
  return `${JSON.stringify(openApiDocument(DEMO_TASK_TYPES), null, 2)}\n`;
}

export function writeOpenApi(path: string = DEFAULT_OPENAPI_PATH): string {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, demoOpenApiJson());
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, lint: { type: 'boolean', default: false } }, strict: true });
  const file = writeOpenApi(values.out);
  console.log(file);
  if (values.lint) {
    const redocly = join(REPO_ROOT, 'node_modules', '.bin', 'redocly');
    const run = spawnSync(redocly, ['lint', file, '--config', REDOCLY_CONFIG], { stdio: 'inherit' });
    if (run.error) throw run.error;
    process.exit(run.status ?? 1);
  }
}
