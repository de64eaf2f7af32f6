/**
 * Builds the construct's Lambda functions into `dist/functions/<name>/index.mjs`: every module
 * under `lambdas/<capability>/` that exports `handler`, bundled with esbuild (the AWS SDK
 * included), and the console (lambdas/console) into the folder of the function that serves it.
 * `@longrun/cdk` ships these files, so a consumer's synth bundles nothing of ours.
 *
 *   npx tsx scripts/build-functions.ts
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const FUNCTIONS_OUT_DIR = join(REPO_ROOT, 'dist', 'functions');

const HANDLER_EXPORT = /^export\s+(?:const|let|async\s+function|function)\s+handler\b|^export\s*\{[^}]*\bhandler\b/m;

/**
 * The esbuild options of every function (`bench/bundles.ts` measures exactly these).
 *
 * The AWS SDK (v3) is bundled instead of taken from the Lambda runtime: bundled, minified and
 * tree-shaken it is one pre-linked file instead of hundreds of @smithy/@aws-sdk modules to
 * resolve, so module load was ~1.6–1.9× faster for ~121 KiB gzipped per zip (`npm run bench`,
 * part 3), and its version is pinned by package-lock.json. The ESM bundle's `require` (from the
 * banner) serves CommonJS code inside it.
 */
export const BUNDLING = {
  bundle: true,
  platform: 'node',
  minify: true,
  sourcemap: true,
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  external: [] as string[],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  // The same input gives the same bytes, so the asset hash changes only when the code does.
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** The function that serves the console, and where in its folder the console's files go (lambdas/http/console-page.ts reads them there). */
export const CONSOLE_FUNCTION = 'get-console';
export const CONSOLE_ASSET_DIR = 'console';
/** The console's sources: its script (`app.js`, with Preact and htm) and its stylesheet (`app.css`). */
export const CONSOLE_ENTRY_POINTS = [
  { in: 'lambdas/console/main.ts', out: 'app' },
  { in: 'lambdas/console/console.css', out: 'app' },
];

/** The console's budget (shared/DESIGN.md, "Console"): page, script and stylesheet together, gzipped. */
export const CONSOLE_BUDGET_BYTES = 60 * 1024;

/**
 * The console's esbuild options (`bench/bundles.ts` weighs exactly these): for browsers, one ES module and one
 * stylesheet, minified, no source map (the page loads nothing else), the same bytes from the same sources.
 */
export const CONSOLE_BUNDLING = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome120', 'firefox121', 'safari17'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** `{ name: module }` for every handler module: `submit-task` -> `lambdas/http/submit-task.ts`. */
export function handlerModules(): Record<string, string> {
  const lambdas = join(REPO_ROOT, 'lambdas');
  const entries: Record<string, string> = {};
  for (const folder of readdirSync(lambdas, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(lambdas, folder.name)).filter((f) => f.endsWith('.ts'))) {
      const path = join(lambdas, folder.name, file);
      if (!HANDLER_EXPORT.test(readFileSync(path, 'utf8'))) continue;
      const name = basename(file, '.ts');
      if (entries[name]) throw new Error(`two handler modules are named ${name}: ${entries[name]} and ${path}`);
      entries[name] = path;
    }
  }
  return entries;
}

/** Every file below `dir`, relative, sorted. */
function filesOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

function sameFiles(a: string, b: string): boolean {
  const files = filesOf(a);
  return JSON.stringify(files) === JSON.stringify(filesOf(b)) && files.every((f) => readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

/**
 * Builds into a fresh directory, then replaces `dist/functions` only if anything changed: a build
 * that changes nothing never removes the files under a synth that reads them (a test, `npm pack`).
 */
export async function buildFunctions(): Promise<string[]> {
  const modules = handlerModules();
  const fresh = `${FUNCTIONS_OUT_DIR}.${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  await build({
    ...BUNDLING,
    entryPoints: Object.fromEntries(Object.entries(modules).map(([name, path]) => [`${name}/index`, path])),
    outdir: fresh,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: REPO_ROOT,
  });
  await build({
    ...CONSOLE_BUNDLING,
    entryPoints: CONSOLE_ENTRY_POINTS,
    outdir: join(fresh, CONSOLE_FUNCTION, CONSOLE_ASSET_DIR),
    absWorkingDir: REPO_ROOT,
  });
  if (sameFiles(fresh, FUNCTIONS_OUT_DIR)) {
    rmSync(fresh, { recursive: true, force: true });
  } else {
    const old = `${FUNCTIONS_OUT_DIR}.old.${process.pid}`;
    if (existsSync(FUNCTIONS_OUT_DIR)) renameSync(FUNCTIONS_OUT_DIR, old);
    renameSync(fresh, FUNCTIONS_OUT_DIR);
    rmSync(old, { recursive: true, force: true });
  }
  return Object.keys(modules).sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const names = await buildFunctions();
  console.log(`built ${names.length} functions into dist/functions in ${Date.now() - started} ms`);
}
