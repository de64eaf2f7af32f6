/**
 * knip (dead code): what is reachable from the real entry points. Anything else — a file, an export,
 * an exported type, a dependency — is reported and fails `npm test`.
 *
 * Entry files count their own exports as used; every other module's export must be imported somewhere.
 * That is why a Lambda entry is found by what it is (a module under `lambdas/<capability>/` that exports
 * `handler`, the export `taskFunction` bundles) rather than by a folder glob: helper modules next to the
 * handlers stay checked, and a new capability folder (lambdas/webhooks, lambdas/sweeper, …) needs no edit here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnipConfig } from 'knip';

const HANDLER_EXPORT = /^export\s+(?:const|let|async\s+function|function)\s+handler\b|^export\s*\{[^}]*\bhandler\b/m;

/** `lambdas/<capability>/<name>.ts` files that export `handler`. */
function lambdaHandlers(): string[] {
  return readdirSync('lambdas', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join('lambdas', d.name)).map((f) => `lambdas/${d.name}/${f}`))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && HANDLER_EXPORT.test(readFileSync(f, 'utf8')));
}

/** Entry globs for folders that may not exist yet: a pattern matching nothing is a configuration hint, and hints fail the check. */
const ifPresent = (dir: string, glob: string): string[] => (existsSync(dir) ? [`${dir}/${glob}`] : []);

const config: KnipConfig = {
  // package.json scripts are entries already (bin/local.ts, bin/longrun.ts, bench/run.ts, scripts/openapi.ts), and
  // so are vitest's test files and globalSetup (knip's vitest plugin). The bench's parts are modules that bench/run.ts
  // imports, so their exports stay checked.
  entry: [
    ...lambdaHandlers(),
    // The CDK app (cdk.json "app") and every other executable.
    'bin/*.ts',
    // Tools run by hand or by tests (client types, the OpenAPI document).
    'scripts/*.ts',
    // Public API: the construct for CDK users, the typed client and CLI for API users, the worker API and examples.
    'lib/async-task-api.ts',
    'lib/client/*.ts',
    ...ifPresent('lambdas/worker', '*.ts'),
    ...ifPresent('examples', '**/*.ts'),
  ],
  project: ['**/*.ts', '!cdk.out/**'],
  ignoreDependencies: [
    // Puts Node 22 first on the PATH of every npm script (see README "Start here"); never imported.
    'node',
    // Run as node_modules/.bin/redocly by scripts/openapi.ts.
    '@redocly/cli',
  ],
  // `@lintignore` in an export's doc comment: used by a branch not merged yet. Once it is used, knip says so (a tag
  // hint), and that fails the run like a stale ignore above (a configuration hint): then delete the tag or the line.
  tags: ['-lintignore'],
  treatConfigHintsAsErrors: true,
  treatTagHintsAsErrors: true,
};

export default config;
