/**
 * Part 3: every function's bundle, built with esbuild's JS API from the very options
 * `scripts/build-functions.ts` builds the prebuilt functions with (`BUNDLING`), next to the alternative SDK choice
 * (the same options with the AWS SDK bundled if ours takes it from the runtime, or external if
 * ours bundles it) and a naive baseline; sizes and module-load times (median over fresh `node`
 * processes that `import()` the bundle, external SDK modules loaded from node_modules).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { ROUTES } from '../lambdas/api/routes.ts';
import { consolePage } from '../lambdas/http/console-page.ts';
import { DEMO_TASK_TYPES } from '../lib/demo/task-types.ts';
import { BUNDLING, CONSOLE_BUDGET_BYTES, CONSOLE_BUNDLING, CONSOLE_ENTRY_POINTS } from '../scripts/build-functions.ts';
import { median } from './stats.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');

/** The externals pattern that leaves the AWS SDK (v3) to the Lambda runtime. */
export const RUNTIME_SDK = '@aws-sdk/*';
const isSdk = (m: string) => m.startsWith('@aws-sdk/');
/** Whether the functions bundle the SDK (no `@aws-sdk/…` external). */
export const OURS_BUNDLE_SDK = !BUNDLING.external.some(isSdk);
/** The alternative to ours: the same options with the SDK choice flipped. */
const ALT_EXTERNALS = OURS_BUNDLE_SDK ? [...BUNDLING.external, RUNTIME_SDK] : BUNDLING.external.filter((m: string) => !isSdk(m));

/** esbuild metafile inputs of the JSON-schema validator (ajv and the packages it pulls in). */
const VALIDATOR_INPUT = /node_modules\/(ajv|fast-uri|fast-deep-equal|json-schema-traverse|require-from-string)\//;

type Variant = 'ours' | 'alternative' | 'naive';
/** How a variant gets the SDK: bundled into it, or external (runtime-provided). */
const sdkOf = (v: Variant): 'bundled' | 'runtime' => (v === 'naive' || (v === 'ours') === OURS_BUNDLE_SDK ? 'bundled' : 'runtime');
const VARIANTS: Record<Variant, string> = {
  ours: `ours (\`BUNDLING\` of scripts/build-functions.ts: ${OURS_BUNDLE_SDK ? 'SDK bundled' : `SDK external = runtime SDK`})`,
  alternative: `alternative (ours, but ${OURS_BUNDLE_SDK ? `\`${RUNTIME_SDK}\` external = runtime SDK` : 'SDK bundled'})`,
  naive: 'naive (SDK bundled, unminified, no tree-shaking)',
};

interface BundleMeasure {
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  /** Median module-load time (ms), `--enable-source-maps` as deployed (NODE_OPTIONS). */
  loadMs: number;
}

interface FunctionBundles {
  name: string;
  entry: string;
  variants: Record<Variant, BundleMeasure>;
  /** `ours` without `--enable-source-maps`. */
  oursNoMapsMs: number;
  /** Loading only the external `@aws-sdk/*` modules the runtime-SDK variant imports, from node_modules (0: none). */
  sdkOnlyMs: number;
  /** The `@aws-sdk/*` modules the runtime-SDK variant imports (empty: the function uses no SDK). */
  externals: string[];
  /** Bytes of `ours` that come from the JSON-schema validator (ajv and its dependencies), from the esbuild metafile. */
  validatorBytes: number;
}

/** One file of the console as browsers get it. */
interface ConsoleFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** The console's weight (GET /v1/console and the two files it loads), built from `CONSOLE_BUNDLING`. */
interface ConsoleWeight {
  files: ConsoleFile[];
  gzipBytes: number;
  budgetBytes: number;
  /** Bytes of app.js (minified, before gzip) that come from Preact and htm. */
  libraryBytes: number;
}

export interface BundlesResult {
  functions: FunctionBundles[];
  console: ConsoleWeight;
  runs: number;
  esbuildVersion: string;
}

function functionEntries(): Array<{ name: string; entry: string }> {
  return [
    // Routes that name the same handler share one function (the console's page and files).
    ...[...new Set(ROUTES.map((r) => r.handler))].map((handler) => ({ name: handler, entry: `lambdas/http/${handler}.ts` })),
    { name: 'count-primes', entry: 'lib/demo/functions/count-primes.ts' },
    { name: 'reconcile-execution', entry: 'lambdas/workflow/reconcile-execution.ts' },
  ];
}

function buildOptions(variant: Variant, entry: string, outfile: string): esbuild.BuildOptions {
  const ours: esbuild.BuildOptions = {
    ...BUNDLING,
    external: [...BUNDLING.external],
    mainFields: [...BUNDLING.mainFields],
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    absWorkingDir: REPO_ROOT,
    metafile: true,
    logLevel: 'silent',
  };
  switch (variant) {
    case 'ours':
      return ours;
    case 'alternative':
      return { ...ours, external: ALT_EXTERNALS };
    case 'naive':
      return { ...ours, minify: false, treeShaking: false, external: BUNDLING.external.filter((m: string) => !isSdk(m)) };
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { env, maxBuffer: 1 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

/** Builds the console as scripts/build-functions.ts does and weighs it, gzipped as a server would send it. */
async function measureConsole(): Promise<ConsoleWeight> {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-bench-console-'));
  try {
    const result = await esbuild.build({
      ...CONSOLE_BUNDLING,
      entryPoints: CONSOLE_ENTRY_POINTS,
      outdir: dir,
      absWorkingDir: REPO_ROOT,
      metafile: true,
      logLevel: 'silent',
    });
    let libraryBytes = 0;
    for (const out of Object.values(result.metafile.outputs))
      for (const [input, { bytesInOutput }] of Object.entries(out.inputs))
        if (/node_modules\/(preact|htm)\//.test(input)) libraryBytes += bytesInOutput;
    const weigh = (name: string, bytes: Buffer): ConsoleFile => ({ name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
    const files = [
      // The page names its files with a version digest; the digest's length is what matters here.
      weigh('console (the page)', Buffer.from(consolePage('/v1', 'x'.repeat(16)))),
      weigh('console/app.js', readFileSync(join(dir, 'app.js'))),
      weigh('console/app.css', readFileSync(join(dir, 'app.css'))),
    ];
    return { files, gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0), budgetBytes: CONSOLE_BUDGET_BYTES, libraryBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureBundles(options: { runs: number; log: (l: string) => void }): Promise<BundlesResult> {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-bench-bundles-'));
  try {
    // Externals resolve from the repository's node_modules, as they would from the runtime's.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const loader = join(dir, 'load.mjs');
    writeFileSync(
      loader,
      [
        // The Lambda runtime's global for response-streaming handlers (task-events), as small as it can be.
        'globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };',
        'const specs = process.argv.slice(2);',
        'const t0 = performance.now();',
        'await Promise.all(specs.map((s) => import(s)));',
        'const t1 = performance.now();',
        'process.stdout.write(JSON.stringify({ ms: t1 - t0 }));',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TABLE_NAME: 'longrun-bench',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:x',
      RESULTS_BUCKET_NAME: 'longrun-bench-results',
      TASK_TYPES: JSON.stringify(DEMO_TASK_TYPES),
      AWS_REGION: 'us-east-1',
      POWERTOOLS_SERVICE_NAME: 'longrun',
    };

    interface Job {
      fn: FunctionBundles;
      key: Variant | 'oursNoMaps' | 'sdkOnly';
      args: string[];
      samples: number[];
    }
    const functions: FunctionBundles[] = [];
    const jobs: Job[] = [];
    for (const { name, entry } of functionEntries()) {
      const variants = {} as Record<Variant, BundleMeasure>;
      const fn: FunctionBundles = { name, entry, variants, oursNoMapsMs: NaN, sdkOnlyMs: NaN, externals: [], validatorBytes: 0 };
      const names = Object.keys(VARIANTS) as Variant[];
      const built = await Promise.all(
        names.map(async (variant) => {
          const outDir = join(dir, name, variant);
          mkdirSync(outDir, { recursive: true });
          const outfile = join(outDir, 'index.mjs');
          return { variant, outfile, result: await esbuild.build(buildOptions(variant, entry, outfile)) };
        }),
      );
      for (const { variant, outfile, result } of built) {
        const code = readFileSync(outfile);
        variants[variant] = { bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes: statSync(`${outfile}.map`).size, loadMs: NaN };
        if (variant === 'ours') {
          for (const out of Object.values(result.metafile!.outputs)) {
            for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) if (VALIDATOR_INPUT.test(input)) fn.validatorBytes += bytesInOutput;
          }
        }
        if (sdkOf(variant) === 'runtime') {
          const externals = new Set<string>();
          for (const out of Object.values(result.metafile!.outputs))
            for (const imp of out.imports) if (imp.external && imp.path.startsWith('@aws-sdk/')) externals.add(imp.path);
          fn.externals = [...externals].sort();
        }
        const url = pathToFileURL(outfile).href;
        jobs.push({ fn, key: variant, args: ['--enable-source-maps', loader, url], samples: [] });
        if (variant === 'ours') jobs.push({ fn, key: 'oursNoMaps', args: [loader, url], samples: [] });
      }
      if (fn.externals.length > 0) {
        // Bare specifiers resolve from the loader's directory, where node_modules is linked.
        jobs.push({ fn, key: 'sdkOnly', args: [loader, ...fn.externals], samples: [] });
      }
      functions.push(fn);
      options.log(`bundles: built ${name}`);
    }
    // Round-robin, one process at a time, so drift and noise spread over every variant alike.
    for (let round = 0; round < options.runs; round++) {
      for (const job of jobs) {
        const out = await run(NODE, job.args, env);
        job.samples.push((JSON.parse(out) as { ms: number }).ms);
      }
      options.log(`bundles: load round ${round + 1}/${options.runs}`);
    }
    for (const job of jobs) {
      const m = median(job.samples);
      if (job.key === 'oursNoMaps') job.fn.oursNoMapsMs = m;
      else if (job.key === 'sdkOnly') job.fn.sdkOnlyMs = m;
      else job.fn.variants[job.key].loadMs = m;
    }
    for (const fn of functions) if (fn.externals.length === 0) fn.sdkOnlyMs = 0;
    const consoleWeight = await measureConsole();
    options.log('bundles: weighed the console');
    return { functions, console: consoleWeight, runs: options.runs, esbuildVersion: esbuild.version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
