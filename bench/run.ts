/**
 * `npm run bench`: what every request and every task costs, measured against the minimum and a
 * naive baseline (issue 6). One markdown document on stdout, also written to bench/results.md,
 * plus bench/latency.svg. Exits non-zero if a task is lost or stuck, or the API answered a 5xx.
 *
 *   npm run bench                      default run (about 4–5 minutes on 2 cores)
 *   npm run bench -- --quick           a small run (well under a minute of work after start-up; no part 7)
 *   --tasks N  --concurrency C         load-test size (default 2000 / 32; quick 200 / 32)
 *   --webhook-tasks N                  webhook load (default 1000; quick 100)
 *   --runs N                           fresh processes per bundle load-time median (default 15; quick 2)
 *   --no-write                         do not write bench/results.md and bench/latency.svg
 *   --verbose                          the local stack's log lines on stderr
 */

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LocalStack } from '@longrun/local';
import { DEMO_STATES } from '../lib/demo/demo-worker.ts';
import { SHELL_STATES } from '../lib/index.ts';
import { BUNDLING } from '../scripts/build-functions.ts';
import { type BundlesResult, measureBundles, OURS_BUNDLE_SDK, REPO_ROOT, RUNTIME_SDK } from './bundles.ts';
import { type CallsResult, measureCalls } from './calls.ts';
import {
  type CostModel,
  costPerMillion,
  memorySizes,
  modelledPolls,
  PRICES,
  RRU_PER_GET,
  rruPerQuery,
  type Usage,
  WRU_FAILED_WRITE,
  WRU_TASK_WRITE,
} from './cost.ts';
import { faultSectionInChild } from './faults.ts';
import { liveSection, measureLive } from './live.ts';
import { type LoadResult, latencySummary, runLoad } from './load.ts';
import { SdkCounter, sumTally, type Tally } from './sdk-counter.ts';
import { kb, mean, ms, ratio, table, usd } from './stats.ts';
import { steeringCostSection } from './steering-cost.ts';
import { latencySvg } from './svg.ts';
import { measureTransitions, type TransitionRow } from './transitions.ts';
import { runWebhookLoad, type WebhookLoadResult, webhookSection } from './webhooks.ts';
import { workflowCostSection } from './workflow-cost.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    tasks: { type: 'string' },
    'webhook-tasks': { type: 'string' },
    concurrency: { type: 'string' },
    runs: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    assembly: { type: 'string' },
  },
  strict: true,
});
const quick = args.quick;
const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const TASKS = positiveInt('tasks', args.tasks, quick ? 200 : 2000);
const CONCURRENCY = positiveInt('concurrency', args.concurrency, 32);
const RUNS = positiveInt('runs', args.runs, quick ? 2 : 15);
const WEBHOOK_TASKS = positiveInt('webhook-tasks', args['webhook-tasks'], quick ? 100 : 1000);
const REPEATS = quick ? 3 : 10;
const MAX_WAIT_SECONDS = 2;
const TASK_DEADLINE_SECONDS = 90;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
// Part 1 calls handlers in this process: their logs and EMF metrics are JSON on stdout, and stdout
// is the report. (The stack's functions run in their own threads; their output goes to --verbose.)
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
/** Webhook retries after 1, 2, 4 s (part 8), as in the tests. */
const WEBHOOK_RETRY_DELAYS = process.env.LONGRUN_WEBHOOK_RETRY_DELAYS ?? '1,2,4';

let stack: LocalStack | undefined;
let stopping = false;
async function stopStack(): Promise<void> {
  const s = stack;
  stack = undefined;
  if (s) await s.stop();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the local stack`);
    void stopStack().finally(() => process.exit(130));
  });
}

/** The demo app's cloud assembly, synthesized once (or given with --assembly) for every stack the bench starts. */
let assemblyDir: string | undefined = args.assembly;

async function startStack(apiKey: string): Promise<LocalStack> {
  const { startLocalStack, synthesize } = await import('@longrun/local');
  const t0 = Date.now();
  if (!assemblyDir) {
    const assembly = await synthesize({ cwd: REPO_ROOT });
    process.on('exit', () => assembly.cleanup());
    assemblyDir = assembly.dir;
  }
  const s = await startLocalStack({
    assembly: assemblyDir,
    port: 0,
    apiKeys: [apiKey],
    environment: { LONGRUN_WEBHOOK_RETRY_DELAYS: WEBHOOK_RETRY_DELAYS },
    log: args.verbose ? (l) => log(`[stack] ${l}`) : () => {},
  });
  // Part 1 calls the handlers in this process: their environment points at the stack, as the stack sets it for its functions.
  const { DEMO_TASK_TYPES } = await import('../lib/demo/task-types.ts');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: s.tableName,
    STATE_MACHINE_ARN: s.stateMachineArn,
    AWS_ENDPOINT_URL_DYNAMODB: s.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: s.stepFunctionsEndpoint,
    AWS_ENDPOINT_URL_S3: s.s3Endpoint,
    RESULTS_BUCKET_NAME: s.resultsBucketName ?? '',
    TASK_TYPES: JSON.stringify(DEMO_TASK_TYPES),
  });
  log(`local stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${s.baseUrl}`);
  return s;
}

async function main(): Promise<number> {
  const started = Date.now();
  const load1 = loadavg()[0]!;
  const apiKey = `bench-${randomBytes(12).toString('hex')}`;
  let bundles: BundlesResult;
  if (quick) {
    // Quick: build and time the bundles while the stack starts (timings are indicative only).
    const stackPromise = startStack(apiKey);
    stackPromise.then((s) => (stack = s)).catch(() => {});
    bundles = await measureBundles({ runs: RUNS, log });
    stack = await stackPromise;
  } else {
    // Default: bundles first, on a quiet machine, then the stack.
    bundles = await measureBundles({ runs: RUNS, log });
    stack = await startStack(apiKey);
  }
  if (stopping) return 130;

  // Count the SDK calls of the very client instances the in-process handlers use.
  const counter = new SdkCounter();
  const { dynamodb } = await import('../lambdas/clients/dynamodb.ts');
  const { sfn } = await import('../lambdas/clients/sfn.ts');
  counter.install({ DynamoDB: dynamodb as never, SFN: sfn as never });

  log('part 1: AWS calls per request');
  const calls = await measureCalls(stack, counter, { repeats: REPEATS, log });
  if (calls.rows.every((r) => r.calls === 0)) throw new Error('no SDK call was counted: the counter is not on the handlers’ clients');
  log('part 2: state transitions per task');
  const transitions = await measureTransitions(stack, apiKey, counter, log);
  log(`part 4: load, ${TASKS} tasks, ${CONCURRENCY} clients`);
  counter.reset();
  const loadResult = await runLoad({
    baseUrl: stack.baseUrl,
    apiKey,
    tasks: TASKS,
    concurrency: CONCURRENCY,
    maxWaitSeconds: MAX_WAIT_SECONDS,
    taskDeadlineSeconds: TASK_DEADLINE_SECONDS,
    seed: 6,
    log,
  });
  // Let the last status-change events reach the backstop before reading the totals.
  const loadExecutions = loadResult.outcomes.filter((o) => o.id).map((o) => o.id!);
  await Promise.all(loadExecutions.map((id) => stack!.stepFunctions.waitForExecution(id)));
  const loadCalls = counter.reset();
  const loadStates: Record<string, number> = {};
  let loadTransitions = 0;
  for (const id of loadExecutions) {
    const s = stack.stepFunctions.getExecutionStats(id);
    if (!s) continue;
    loadTransitions += s.transitions;
    for (const [k, v] of Object.entries(s.byState)) loadStates[k] = (loadStates[k] ?? 0) + v;
  }
  const live = await measureLive(stack, apiKey, { writes: quick ? 6 : 40, log });
  log(`part 8: webhooks, ${WEBHOOK_TASKS} tasks, ${CONCURRENCY} clients`);
  const webhooks = await runWebhookLoad({ baseUrl: stack.baseUrl, apiKey, tasks: WEBHOOK_TASKS, concurrency: CONCURRENCY, log });
  await stopStack();

  const svg = latencySvg(loadResult.latencies, `Longrun local stack: ${TASKS} tasks, ${CONCURRENCY} clients — request latency CDF`);
  // Part 7 needs its own stack with faults, in a child process; `--quick` leaves it to `npm run faults`.
  const faults = quick
    ? { markdown: '## 7. Faults\n\nSkipped with `--quick`: `npm run faults` (1,000 tasks) or `test/faults/fault-load.test.ts`.\n', failed: false }
    : await faultSectionInChild(1000, log, assemblyDir);
  const { parts, conclusions } = report({
    bundles,
    calls,
    transitions,
    loadResult,
    loadCalls,
    loadTransitions,
    loadStates,
    load1,
    webhooks,
    seconds: (Date.now() - started) / 1000,
  });
  // Parts 1–5, then 6 (live status), 7 (faults), 8 (webhooks), then what the numbers say.
  const doc = [parts, liveSection(live), faults.markdown.trimEnd(), '', webhookSection(webhooks, CONCURRENCY).join('\n'), conclusions].join('\n');
  if (!args['no-write']) {
    writeFileSync(join(REPO_ROOT, 'bench', 'results.md'), doc);
    writeFileSync(join(REPO_ROOT, 'bench', 'latency.svg'), svg);
  }
  process.stdout.write(doc);
  const failed = loadResult.lost.length > 0 || loadResult.serverErrors > 0 || faults.failed || webhooks.lost.length > 0 || webhooks.unverified > 0;
  if (failed)
    log(
      `FAILED: ${loadResult.lost.length} tasks lost or stuck, ${loadResult.serverErrors} 5xx answers, ${webhooks.lost.length} webhooks lost, ${webhooks.unverified} unverified, faults ${faults.failed ? 'failed' : 'ok'}`,
    );
  return failed ? 1 : 0;
}

/** `BUNDLING` in words, e.g. `minify, sourcemap, node22, esm, mainFields module/main, no externals, banner`. */
function bundlingSummary(): string {
  const parts = ['bundle', 'platform node'];
  if (BUNDLING.minify) parts.push('minify');
  if (BUNDLING.sourcemap) parts.push('sourcemap');
  parts.push(BUNDLING.target, String(BUNDLING.format).toUpperCase(), `mainFields ${BUNDLING.mainFields.join('/')}`);
  parts.push(BUNDLING.external.length ? `external ${BUNDLING.external.map((m: string) => `\`${m}\``).join(', ')}` : '`external: []`');
  if (BUNDLING.banner.js.includes('createRequire')) parts.push('createRequire banner');
  return parts.join(', ');
}

interface ReportInput {
  bundles: BundlesResult;
  calls: CallsResult;
  transitions: TransitionRow[];
  loadResult: LoadResult;
  loadCalls: Tally;
  loadTransitions: number;
  loadStates: Record<string, number>;
  load1: number;
  webhooks: WebhookLoadResult;
  seconds: number;
}

function report(r: ReportInput): { parts: string; conclusions: string } {
  const out: string[] = [];
  const cpu = cpus();
  out.push('# Longrun benchmark');
  out.push('');
  out.push(
    `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${process.platform}/${process.arch}; load average at start ${r.load1.toFixed(1)} (the machine is shared, so absolute times are noisy — compare ratios). ` +
      `Run: ${quick ? '`--quick`' : 'default'}, ${TASKS} tasks, ${CONCURRENCY} clients, ${RUNS} processes per load-time median; took ${r.seconds.toFixed(0)} s; ${new Date().toISOString().slice(0, 10)}.`,
  );
  out.push('');
  out.push(
    'How to reproduce: `npm ci && npm run bench` (add `-- --quick` for the small run; `-- --tasks 2000 --concurrency 32` to set the load). Everything runs locally: DynamoDB Local, the local Step Functions endpoint running the synthesized ASL, the local API front; no AWS account.',
  );
  out.push('');

  // ---------------------------------------------------------------- 1
  out.push('## 1. AWS calls per request');
  out.push('');
  out.push(
    'Counted by a middleware on the `initialize` step of the handlers’ own SDK clients (`#clients/dynamodb`, `#clients/sfn`), handlers invoked in-process with API Gateway REST proxy events; duration = median handler time against DynamoDB Local.',
  );
  out.push('');
  out.push(
    table(
      ['request', 'AWS calls', 'minimum', 'calls made', 'HTTP status', 'median duration'],
      r.calls.rows.map((c) => [
        c.request,
        c.calls > c.minimum && c.minimum > 0 ? `**${c.calls}**` : c.calls,
        c.minimum || '—',
        c.detail,
        c.status || '—',
        ms(c.medianMs),
      ]),
    ),
  );
  out.push('');
  const above = r.calls.rows.filter((c) => c.calls > c.minimum);
  for (const c of above)
    out.push(
      `- **${c.request}: ${c.calls} call${c.calls === 1 ? '' : 's'}** (minimum ${c.minimum || 'n/a'}): ${c.reason ?? 'no reason recorded — fix it.'}`,
    );
  if (above.every((c) => c.reason))
    out.push('- Every request handler is at its minimum or has its reason stated above. A 304 (If-None-Match) costs the same GetItem as a 200.');
  out.push('');

  // ---------------------------------------------------------------- 2
  out.push('## 2. State transitions per task');
  out.push('');
  out.push(
    `Read from the local Step Functions endpoint (\`getExecutionStats\`, execution name = task id). Shell = ${Object.values(SHELL_STATES)
      .map((s) => `\`${s}\``)
      .join(
        ', ',
      )} (\`SHELL_STATES\`, lib/task-api/workflow.ts); worker = the demo worker’s states (\`DEMO_STATES\`, lib/demo/demo-worker.ts). Lambda writes = DynamoDB writes the Lambdas made for that task (submit, backstop, progress, cancel; polls excluded) — changed / failed condition.`,
  );
  out.push('');
  out.push(
    table(
      [
        'task',
        'ends',
        'execution',
        'transitions',
        'shell',
        'worker',
        'states entered',
        'Lambda writes (ok / failed cond.)',
        'workflow writes',
        'Step Functions API calls',
      ],
      r.transitions.map((t) => [
        t.name,
        t.finalStatus,
        t.executionStatus,
        t.transitions,
        t.shell,
        t.worker,
        Object.entries(t.byState)
          .map(([k, v]) => `${k}×${v}`)
          .join(', '),
        `${t.lambdaWrites.ok} / ${t.lambdaWrites.failed}`,
        t.integrationWrites,
        Object.entries(t.calls)
          .filter(([k]) => k.startsWith('SFN.'))
          .map(([k, v]) => `${k.slice(4)}×${v}`)
          .join(', ') || '—',
      ]),
    ),
  );
  out.push('');
  const maxShell = Math.max(...r.transitions.map((t) => t.shell));
  out.push(
    `- Shell transitions per task: at most **${maxShell}** (target ≤ 2). The workflow records only success itself (\`${SHELL_STATES.recordSuccess}\`, one DynamoDB service-integration write, no Lambda).`,
  );
  out.push(
    '- `running` is recorded by the worker’s progress helper (first progress write moves pending → running) and by the execution-status backstop (EventBridge “Execution Status Change” RUNNING → `lambdas/workflow/reconcile-execution.ts`), not by extra states.',
  );
  out.push(
    `- Failures from Fail states (\`${DEMO_STATES.failWithMessage}\`), timeouts and aborts (cancel → StopExecution) are recorded by the backstop: **0 shell transitions**. \`${SHELL_STATES.recordFailure}\` runs only when a worker Task state throws (Catch).`,
  );
  out.push(
    '- Every task also costs 2 backstop invocations (RUNNING and terminal events); for a task the workflow already recorded, the second is a conditional write that fails (1 WRU).',
  );
  out.push('');

  // ---------------------------------------------------------------- 3
  const b = r.bundles;
  const oursSdk = OURS_BUNDLE_SDK ? 'SDK bundled' : 'runtime SDK';
  const altSdk = OURS_BUNDLE_SDK ? 'runtime SDK' : 'SDK bundled';
  out.push('## 3. Bundles');
  out.push('');
  out.push(
    `Built with esbuild ${b.esbuildVersion}’s JS API from \`BUNDLING\`, the options \`scripts/build-functions.ts\` builds the prebuilt functions with (${bundlingSummary()}). ` +
      `**ours** = those options (${oursSdk}); **alternative** = the same with the other SDK choice (${OURS_BUNDLE_SDK ? `\`external: ['${RUNTIME_SDK}']\`` : 'SDK bundled'}); **naive** = SDK bundled, unminified, \`treeShaking: false\`. ` +
      `Load time = median of ${b.runs} fresh \`node\` processes (Node ${process.versions.node}) timing \`import()\` of the bundle with \`--enable-source-maps\` (as NODE_OPTIONS sets it on Lambda); the runtime-SDK variant’s time includes loading its external \`@aws-sdk/*\` imports from node_modules, as the runtime-provided SDK is loaded on Lambda.`,
  );
  out.push('');
  const runtimeVariant = OURS_BUNDLE_SDK ? 'alternative' : 'ours';
  out.push(
    table(
      [
        'function',
        `ours (${oursSdk}) size (gzip)`,
        'ours load',
        'ours load w/o source maps',
        `alternative (${altSdk}) size (gzip)`,
        'alternative load',
        'runtime SDK alone',
        'naive size',
        'naive load',
        'load alternative/ours',
        'load naive/ours',
      ],
      b.functions.map((f) => [
        f.name,
        `${kb(f.variants.ours.bytes)} (${kb(f.variants.ours.gzipBytes)})`,
        `**${ms(f.variants.ours.loadMs)}**`,
        ms(f.oursNoMapsMs),
        `${kb(f.variants.alternative.bytes)} (${kb(f.variants.alternative.gzipBytes)})`,
        ms(f.variants.alternative.loadMs),
        f.externals.length ? ms(f.sdkOnlyMs) : '— (no SDK)',
        kb(f.variants.naive.bytes),
        ms(f.variants.naive.loadMs),
        ratio(f.variants.alternative.loadMs, f.variants.ours.loadMs),
        ratio(f.variants.naive.loadMs, f.variants.ours.loadMs),
      ]),
    ),
  );
  out.push('');
  const sdkFns = b.functions.filter((f) => f.externals.length > 0);
  const perFn = (f: (x: (typeof sdkFns)[number]) => number) => sdkFns.reduce((a, x) => a + f(x), 0) / Math.max(1, sdkFns.length);
  const oursLoad = perFn((f) => f.variants.ours.loadMs);
  const altLoad = perFn((f) => f.variants.alternative.loadMs);
  // Switch only for a clear win (> 10 %): otherwise keep the configured choice.
  const switchSdk = altLoad < oursLoad * 0.9;
  const bundleSdk = OURS_BUNDLE_SDK !== switchSdk;
  const gz = (v: 'ours' | 'alternative') => kb(perFn((f) => f.variants[v].gzipBytes));
  out.push(
    `- Over the ${sdkFns.length} functions that use the SDK, mean load: ours (${oursSdk}) ${ms(oursLoad)}, alternative (${altSdk}) ${ms(altLoad)}, naive ${ms(perFn((f) => f.variants.naive.loadMs))}; ours without source maps ${ms(perFn((f) => f.oursNoMapsMs))}. Mean zip payload (gzip): ours ${gz('ours')}, alternative ${gz('alternative')}.`,
  );
  const bundledLoad = OURS_BUNDLE_SDK ? oursLoad : altLoad;
  const runtimeLoad = OURS_BUNDLE_SDK ? altLoad : oursLoad;
  const why = bundleSdk
    ? `bundled, minified and tree-shaken, the SDK loads in ${ratio(bundledLoad, runtimeLoad)} of the runtime SDK’s time (${ms(bundledLoad)} vs ${ms(runtimeLoad)} per function): one pre-linked file instead of resolving and compiling hundreds of @smithy/@aws-sdk modules; the zip stays small (${OURS_BUNDLE_SDK ? gz('ours') : gz('alternative')} gzipped) and the SDK version is pinned by package-lock.json instead of drifting with the runtime.`
    : `the runtime SDK loads ${runtimeLoad <= bundledLoad ? 'at least as fast as' : `within 10 % of`} the bundled one (${ms(runtimeLoad)} vs ${ms(bundledLoad)} per function), and bundles stay ${ratio(
        perFn((f) => f.variants[OURS_BUNDLE_SDK ? 'ours' : 'alternative'].bytes),
        perFn((f) => f.variants[runtimeVariant].bytes),
      )} smaller.`;
  out.push(
    `- **Decision: ${switchSdk ? `switch to ${bundleSdk ? 'bundling the SDK' : 'the runtime SDK'} (\`external: ${bundleSdk ? '[]' : `['${RUNTIME_SDK}']`}\` in \`BUNDLING\`, scripts/build-functions.ts)` : `keep ${bundleSdk ? 'bundling the SDK' : 'the runtime SDK'}`}** (the configured choice changes only when the alternative loads > 10 % faster): ${why}`,
  );
  out.push(
    `- Source maps: \`--enable-source-maps\` changes ours’ load time by ${ms(oursLoad - perFn((f) => f.oursNoMapsMs))} per function on average (${ratio(
      oursLoad,
      perFn((f) => f.oursNoMapsMs),
    )}).`,
  );
  out.push('');
  const c = b.console;
  out.push(
    `- **The console** (\`GET /v1/console\`, built from \`CONSOLE_BUNDLING\` of scripts/build-functions.ts, served by the get-console function beside its code): ${kb(c.gzipBytes)} gzipped in all, of its budget of ${kb(c.budgetBytes)} (${Math.round((100 * c.gzipBytes) / c.budgetBytes)} %); Preact and htm are ${kb(c.libraryBytes)} of app.js before gzip.`,
  );
  out.push('');
  out.push(
    table(
      ['console file', 'size', 'gzip'],
      c.files.map((f) => [f.name, kb(f.bytes), kb(f.gzipBytes)]),
    ),
  );
  out.push('');

  // ---------------------------------------------------------------- 4
  const L = r.loadResult;
  const lat = latencySummary(L);
  const tasksDone = L.outcomes.filter((o) => o.terminalAt).length;
  const pollsPerTask = mean(L.outcomes.filter((o) => o.id).map((o) => o.polls));
  out.push('## 4. Load on the local stack');
  out.push('');
  out.push(
    `${TASKS} tasks (${Object.entries(L.mix)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}; primes upTo 2,000–20,000, sleep 0–2 s, cancelled sleeps 30 s), ${CONCURRENCY} concurrent clients over real HTTP (\`x-api-key\`), each polling its task with \`If-None-Match\`, waiting \`Retry-After\` (a single wait capped at ${MAX_WAIT_SECONDS} s), fetching and checking every primes result. Lost = not terminal ${TASK_DEADLINE_SECONDS} s after submit, wrong final status, or a wrong result.`,
  );
  out.push('');
  out.push(
    table(
      ['request', 'n', 'p50', 'p95', 'p99', 'max'],
      (Object.keys(lat) as Array<keyof typeof lat>)
        .filter((k) => lat[k].n > 0)
        .map((k) => [k, lat[k].n, ms(lat[k].p50), ms(lat[k].p95), ms(lat[k].p99), ms(lat[k].max)]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['metric', 'value'],
      [
        ['tasks submitted / terminal', `${L.outcomes.filter((o) => o.id).length} / ${tasksDone}`],
        ['**tasks lost or stuck**', `**${L.lost.length}**`],
        ['5xx answers', L.serverErrors],
        ['capacity answers waited out (503 + Retry-After at a reserved concurrency)', L.throttled],
        ['wall time', `${L.wallSeconds.toFixed(1)} s`],
        ['throughput (tasks completed / s)', (tasksDone / L.wallSeconds).toFixed(1)],
        ['polls per task (mean)', pollsPerTask.toFixed(2)],
        [
          'of which 304 Not Modified',
          `${(
            (100 * L.outcomes.reduce((a, o) => a + o.notModified, 0)) /
              Math.max(
                1,
                L.outcomes.reduce((a, o) => a + o.polls, 0),
              )
          ).toFixed(0)} %`,
        ],
        ['state transitions per task (mean)', (r.loadTransitions / Math.max(1, L.outcomes.filter((o) => o.id).length)).toFixed(2)],
      ],
    ),
  );
  out.push('');
  for (const lost of L.lost.slice(0, 10))
    out.push(`- lost: ${lost.id ?? '(not submitted)'} ${lost.plan.type} ${JSON.stringify(lost.plan.input)}: ${lost.problem}`);
  if (L.lost.length > 10) out.push(`- … and ${L.lost.length - 10} more`);
  out.push('![Latency distribution of the load test](latency.svg)');
  out.push('');
  out.push('`bench/latency.svg`: cumulative distribution of submit, status, cancel and result latency.');
  out.push('');

  // ---------------------------------------------------------------- 5
  const cost = costSection(r, pollsPerTask);
  out.push(...cost.lines);
  return { parts: `${out.join('\n')}\n`, conclusions: `${findings(r, cost, { bundleSdk, switchSdk }).join('\n')}\n` };
}

interface CostSection {
  lines: string[];
  mix: ReturnType<typeof costPerMillion>;
  mixUsage: Usage;
  primes?: { usage: Usage; cost: ReturnType<typeof costPerMillion> };
}

/** What was changed because of the numbers above, what was considered and not changed, and what is open. */
function findings(r: ReportInput, cost: CostSection, sdk: { bundleSdk: boolean; switchSdk: boolean }): string[] {
  const out: string[] = ['## What the numbers say', ''];
  const perTransition = PRICES.stepFunctionsPerThousandTransitions * 1000; // per million tasks, per transition
  const share = (v: number) => `${((100 * v) / cost.mix.total).toFixed(0)} %`;
  const succeeded = r.loadResult.outcomes.filter((o) => o.status === 'succeeded').length / Math.max(1, r.loadResult.outcomes.length);
  const b = r.bundles;
  const sdkFns = b.functions.filter((f) => f.externals.length > 0);
  const perFn = (f: (x: (typeof sdkFns)[number]) => number) => sdkFns.reduce((a, x) => a + f(x), 0) / Math.max(1, sdkFns.length);
  const bundled = OURS_BUNDLE_SDK ? 'ours' : 'alternative';
  const runtime = OURS_BUNDLE_SDK ? 'alternative' : 'ours';
  const bundledLoad = perFn((f) => f.variants[bundled].loadMs);
  const runtimeLoad = perFn((f) => f.variants[runtime].loadMs);
  const p = cost.primes;
  const pw = r.calls.progressWrites;

  out.push(
    `Overall: Step Functions transitions are **${share(cost.mix.stepFunctions)}** of the bill in the load-test mix (${cost.mixUsage.transitions.toFixed(2)} per task, $${perTransition.toFixed(0)} per million tasks each), DynamoDB writes ${share(cost.mix.dynamoDbWrites)}, API Gateway ${share(cost.mix.apiGateway)}, Lambda ${share(cost.mix.lambdaRequests + cost.mix.lambdaCompute)}.`,
  );
  out.push('');
  out.push('Changed because of this benchmark:');
  out.push('');
  out.push(
    `1. **The AWS SDK is ${OURS_BUNDLE_SDK ? 'bundled' : 'taken from the runtime'}** (\`BUNDLING.external\` in \`scripts/build-functions.ts\`, which part 3 builds from): bundled, minified and tree-shaken it loads in ${ms(bundledLoad)} per function vs ${ms(runtimeLoad)} for the runtime SDK (${ratio(bundledLoad, runtimeLoad)}, part 3)` +
      (sdk.switchSdk
        ? ` — **this run says switch** to ${sdk.bundleSdk ? 'bundling' : 'the runtime SDK'} (see part 3).`
        : OURS_BUNDLE_SDK
          ? ', and its version is pinned by package-lock.json.'
          : '.'),
  );
  out.push(
    `2. **Worker progress is throttled**: \`progressReporter\` (\`packages/worker/src/progress.ts\`) writes the first report at once, then only when a second has passed or progress moved 25 points, instead of once per chunk (19 UpdateItems per count-primes invocation before). Measured now: **${pw}** progress write${pw === 1 ? '' : 's'} per invocation of upTo 20,000 (part 1)${p ? `; a primes task of upTo 100,000 costs ${p.usage.wru.toFixed(0)} WRU in all (part 2), ${usd(p.cost.dynamoDbWrites)} of DynamoDB writes per million` : ''}. A longer task writes about once a second (and at most once per chunk), each write 2 WRU (table + \`tasksByOwner\`); cancellation is noticed within a second or 25 points.`,
  );
  out.push('');
  out.push('Considered and not changed:');
  out.push('');
  out.push(
    `3. **Dropping \`${SHELL_STATES.recordSuccess}\`** and letting the execution-status backstop record success too would save 1 transition per succeeded task (−$${(perTransition * succeeded).toFixed(2)} per million tasks in this mix) and the backstop’s wasted failed condition. Kept: DESIGN.md has the workflow record success itself; the backstop is only a backstop (and success would otherwise become visible only after event delivery, with a DescribeExecution for outputs beyond the event’s 256 KB).`,
  );
  out.push(
    `4. **One state machine per task type**, chosen by the submit handler, would drop \`${DEMO_STATES.chooseTaskType}\` (1 transition on every task, −$${perTransition.toFixed(0)} per million tasks). Kept one state machine: a platform team plugs in one worker. (\`${DEMO_STATES.morePrimesToCount}\` adds 1 per count-primes invocation; fine while one invocation does the whole job.)`,
  );
  out.push('');
  out.push('Open:');
  out.push('');
  const submit = b.functions.find((f) => f.name === 'submit-task');
  const others = b.functions.filter((f) => f.name !== 'submit-task' && f.externals.length > 0);
  const otherMean = others.reduce((a, f) => a + f.variants.ours.bytes, 0) / Math.max(1, others.length);
  if (submit) {
    out.push(
      `5. **Standalone validators**: the submit bundle is ${kb(submit.variants.ours.bytes)} vs ${kb(otherMean)} on average for the other SDK functions, because of the JSON-schema validator (ajv and its dependencies: ${kb(submit.validatorBytes)} of it, esbuild metafile); compiling the task-type schemas to standalone validators at build time would drop most of that.`,
    );
  }
  out.push(
    `6. **\`tasksByOwner\` projection**: projecting only what the list needs (INCLUDE without \`progress\`/\`updatedAt\`) would stop progress writes from touching the index (1 WRU instead of 2 each), at the price of stale progress in list answers.`,
  );
  out.push('');
  const minimal = r.calls.rows.filter((c) => c.minimum > 0);
  const atMinimum = minimal.every((c) => c.calls <= c.minimum);
  const gain = (s: number) => s / modelledPolls(s, false);
  out.push(
    `Unchanged: ${atMinimum ? 'the request path is at its minimum' : '**some requests are above their minimum**'} (part 1: ${minimal
      .filter((c) => !c.request.includes(',') && !c.request.includes('(first)'))
      .map((c) => `${c.request.replace(/ \(.*\)$/, '')} ${c.calls}`)
      .join(
        ', ',
      )}); a 304 costs the same as a 200 (the ETag is computed from the item), so ETags save bandwidth, not money; \`Retry-After\` is what cuts polling cost, by ${gain(600).toFixed(0)}–${gain(3600).toFixed(0)}× for tasks of 10 min–1 h. ` +
      `Local stack: ${r.loadResult.lost.length === 0 ? `0 tasks lost of ${r.loadResult.outcomes.length}` : `**${r.loadResult.lost.length} tasks lost**`}, at ${(r.loadResult.outcomes.filter((o) => o.terminalAt).length / r.loadResult.wallSeconds).toFixed(1)} tasks/s with ${r.loadResult.options.concurrency} clients.`,
  );
  out.push('');
  return out;
}

function costSection(r: ReportInput, pollsPerTask: number): CostSection {
  const out: string[] = [];
  const L = r.loadResult;
  const mem = memorySizes();
  const memoryMb: Record<string, number> = {
    'submit-task': mem.api,
    'get-task': mem.api,
    'get-task-result': mem.api,
    'cancel-task': mem.api,
    'list-tasks': mem.api,
    'count-primes': mem.countPrimes,
    'reconcile-execution': mem.reconcile,
  };
  const model: CostModel = { durationsMs: r.calls.durations, memoryMb };
  const submitted = L.outcomes.filter((o) => o.id);
  const n = Math.max(1, submitted.length);
  const lc = r.loadCalls;
  const okWrites = sumTally(lc, (c, cmd, e) => c === 'DynamoDB' && /^(PutItem|UpdateItem|DeleteItem)$/.test(cmd) && !e);
  const failedWrites = sumTally(lc, (c, cmd, e) => c === 'DynamoDB' && /^(PutItem|UpdateItem|DeleteItem)$/.test(cmd) && !!e);
  const gets = sumTally(lc, (c, cmd) => c === 'DynamoDB' && cmd === 'GetItem');
  const recordOk =
    (r.loadStates[SHELL_STATES.recordSuccess] ?? 0) -
    (r.loadStates[SHELL_STATES.alreadyFinished] ?? 0) +
    (r.loadStates[SHELL_STATES.recordFailure] ?? 0);
  const recordFailed = r.loadStates[SHELL_STATES.alreadyFinished] ?? 0;
  const counts = {
    submit: L.latencies.submit.length,
    status: L.latencies.status.length,
    cancel: L.latencies.cancel.length,
    result: L.latencies.result.length,
  };
  const mixUsage: Usage = {
    apiRequests: (counts.submit + counts.status + counts.cancel + counts.result) / n,
    invocations: {
      'submit-task': counts.submit / n,
      'get-task': counts.status / n,
      'cancel-task': counts.cancel / n,
      'get-task-result': counts.result / n,
      'reconcile-execution': 2,
      'count-primes': (r.loadStates[DEMO_STATES.countPrimes] ?? 0) / n,
    },
    wru: ((okWrites + recordOk) * WRU_TASK_WRITE + (failedWrites + recordFailed) * WRU_FAILED_WRITE) / n,
    rru: (gets * RRU_PER_GET) / n,
    transitions: r.loadTransitions / n,
  };
  const mixCost = costPerMillion(mixUsage, model);

  // Per task type: part 2's backend counts + the load test's mean polls for that type.
  const pollsOf = (pred: (o: (typeof submitted)[number]) => boolean) => mean(submitted.filter(pred).map((o) => o.polls)) || pollsPerTask;
  const typeRows = r.transitions.map((t) => {
    const cancelled = t.name.includes('cancelled');
    const polls = pollsOf((o) => o.plan.type === t.body.type && o.plan.cancel === cancelled);
    const result = t.finalStatus === 'succeeded' && t.body.type === 'primes' ? 1 : 0;
    const usage: Usage = {
      apiRequests: 1 + polls + result + (cancelled ? 1 : 0),
      invocations: {
        'submit-task': 1,
        'get-task': polls,
        'get-task-result': result,
        'cancel-task': cancelled ? 1 : 0,
        'reconcile-execution': 2,
        'count-primes': t.workerInvocations,
      },
      wru:
        (t.lambdaWrites.ok + t.integrationWrites - (t.byState[SHELL_STATES.alreadyFinished] ?? 0)) * WRU_TASK_WRITE +
        (t.lambdaWrites.failed + (t.byState[SHELL_STATES.alreadyFinished] ?? 0)) * WRU_FAILED_WRITE,
      rru: (polls + result + sumTally(t.calls, (c, cmd) => c === 'DynamoDB' && cmd === 'GetItem')) * RRU_PER_GET,
      transitions: t.transitions,
    };
    return { t, polls, usage, cost: costPerMillion(usage, model) };
  });

  out.push('## 5. Cost per million tasks');
  out.push('');
  out.push(
    `Prices: ${PRICES.asOf}. API Gateway REST $${PRICES.apiGatewayRestPerMillion}/M requests (first 333 M); Lambda arm64 $${PRICES.lambdaPerGbSecondArm}/GB-s + $${PRICES.lambdaPerMillionRequests}/M requests; DynamoDB on-demand $${PRICES.dynamoDbPerMillionWru}/M WRU, $${PRICES.dynamoDbPerMillionRru}/M RRU; Step Functions Standard $${PRICES.stepFunctionsPerThousandTransitions}/1,000 state transitions.`,
  );
  out.push('');
  out.push('Assumptions:');
  out.push(
    `- Memory: ${mem.api} MB for the route functions and the backstop (\`lib/task-api/function.ts\` default), ${mem.countPrimes} MB for count-primes (\`lib/demo/demo-worker.ts\`).`,
  );
  out.push(
    `- Billed durations (rounded up to 1 ms): the median in-process handler durations of part 1 against DynamoDB Local — ${Object.entries(
      r.calls.durations,
    )
      .map(([k, v]) => `${k} ${Math.ceil(v)} ms`)
      .join(
        ', ',
      )} (count-primes: one invocation of upTo 20,000 with its ${r.calls.progressWrites} progress write${r.calls.progressWrites === 1 ? '' : 's'}). Real DynamoDB round trips are usually faster than DynamoDB Local on a shared 2-core machine, so this errs high.`,
  );
  out.push(`- Polls per task: ${pollsPerTask.toFixed(2)} (mean of the load test, part 4); per type below, the load test’s mean for that type.`);
  out.push(
    `- Items ≤ 1 KB. A write that changes a task item costs ${WRU_TASK_WRITE} WRU (table + the \`tasksByOwner\` GSI, which projects what the representation shows, progress included, so nearly every task write is written to the index too); a write whose condition fails costs ${WRU_FAILED_WRITE} WRU; an eventually consistent GetItem ≤ 4 KB costs ${RRU_PER_GET} RRU; a list Query of 20 items ≈ ${rruPerQuery(20)} RRU.`,
  );
  out.push(
    `- Progress writes: count-primes reports after each of its 20 chunks, but the progress helper writes a conditional UpdateItem only when a second has passed or progress moved 25 points (the first at once): ${r.calls.progressWrites} per invocation of upTo 20,000 (part 1); the per-type rows and the mix count the writes the Lambdas actually made (parts 2 and 4).`,
  );
  out.push(
    '- Not included: CloudWatch Logs (the state machine logs at level ALL), X-Ray, WAF, data transfer; EventBridge delivery of AWS service events to the default bus is free.',
  );
  out.push('');
  const costCols = (c: ReturnType<typeof costPerMillion>) => [
    usd(c.apiGateway),
    usd(c.lambdaRequests + c.lambdaCompute),
    usd(c.dynamoDbWrites + c.dynamoDbReads),
    usd(c.stepFunctions),
    `**${usd(c.total)}**`,
  ];
  out.push(
    table(
      [
        'per million tasks of…',
        'API requests/task',
        'Lambda inv./task',
        'WRU/task',
        'RRU/task',
        'transitions/task',
        'API Gateway',
        'Lambda',
        'DynamoDB',
        'Step Functions',
        'total',
      ],
      [
        ...typeRows.map(({ t, usage, cost }) => [
          t.name,
          usage.apiRequests.toFixed(1),
          Object.values(usage.invocations)
            .reduce((a, v) => a + v, 0)
            .toFixed(1),
          usage.wru.toFixed(1),
          usage.rru.toFixed(1),
          usage.transitions.toFixed(1),
          ...costCols(cost),
        ]),
        [
          `the load-test mix (part 4, measured)`,
          mixUsage.apiRequests.toFixed(1),
          Object.values(mixUsage.invocations)
            .reduce((a, v) => a + v, 0)
            .toFixed(1),
          mixUsage.wru.toFixed(1),
          mixUsage.rru.toFixed(1),
          mixUsage.transitions.toFixed(2),
          ...costCols(mixCost),
        ],
      ],
    ),
  );
  out.push('');

  // Retry-After, ETag, list.
  const perPoll = costPerMillion({ apiRequests: 1, invocations: { 'get-task': 1 }, wru: 0, rru: RRU_PER_GET, transitions: 0 }, model).total;
  const naivePolls = mean(submitted.filter((o) => o.terminalAt).map((o) => Math.max(1, Math.ceil((o.terminalAt! - o.submittedAt) / 1000))));
  const honoured = mean(submitted.map((o) => o.retryAfterSum / Math.max(1, o.polls)));
  out.push('What the polling choices save or cost:');
  out.push(
    `- **Retry-After**: one poll costs ${usd(perPoll)} per million (API Gateway + a get-task invocation + 0.5 RRU). In the load test clients made ${pollsPerTask.toFixed(2)} polls per task; a naive client polling every 1 s for each task’s measured duration would make ${naivePolls.toFixed(2)} — ${usd((naivePolls - pollsPerTask) * perPoll)} per million tasks ${naivePolls > pollsPerTask ? 'saved' : 'extra'} (the mix is short: Retry-After’s floor is 1 s, mean Retry-After answered ${honoured.toFixed(2)} s). It matters for long tasks (modelled with the status handler’s own \`retryAfterSeconds\`):`,
  );
  const longRows = [10, 60, 600, 3600].map((s) => ({ s, polls: modelledPolls(s, false) }));
  out.push('');
  out.push(
    table(
      ['task runs', 'polls with Retry-After', 'polls every 1 s', 'saved per million tasks'],
      longRows.map(({ s, polls }) => [s >= 3600 ? `${s / 3600} h` : s >= 60 ? `${s / 60} min` : `${s} s`, polls, s, usd((s - polls) * perPoll)]),
    ),
  );
  out.push('');
  out.push(
    '(Retry-After = age/5 clamped to 1–30 s, or less when progress predicts an earlier end: progress reports can only shorten the wait, so the table is the same with linear progress.)',
  );
  out.push('');
  const notModified = L.outcomes.reduce((a, o) => a + o.notModified, 0);
  const avgBody = L.statusBodies ? L.statusBodyBytes / L.statusBodies : 0;
  out.push(
    `- **ETag / 304**: saves nothing in AWS cost — a 304 still goes through API Gateway, invokes get-task and reads the item (1 GetItem, part 1). It saves bandwidth: ${notModified} of ${counts.status} polls (${((100 * notModified) / Math.max(1, counts.status)).toFixed(0)} %) answered 304 instead of a ~${avgBody.toFixed(0)}-byte body, ${kb(notModified * avgBody)} in this run.`,
  );
  const listRow = r.calls.rows.find((c) => c.request.startsWith('list'));
  const listCost = costPerMillion({ apiRequests: 1, invocations: { 'list-tasks': 1 }, wru: 0, rru: rruPerQuery(20), transitions: 0 }, model);
  out.push(
    `- **List endpoint**: ${usd(listCost.total)} per million calls (limit 20: one Query of the \`tasksByOwner\` index, ≈ ${rruPerQuery(20)} RRU, ${listRow ? `${Math.ceil(listRow.medianMs)} ms` : 'n/a'} at ${mem.api} MB) — ${ratio(listCost.total, perPoll)} the price of one status poll; a client that lists instead of polling N tasks pays once per page instead of N times. The index itself doubles every task write (see WRU above).`,
  );
  out.push('');
  out.push(...steeringCostSection(model));
  out.push('');
  out.push(...workflowCostSection(model));
  const primes = typeRows.find((t) => t.t.body.type === 'primes');
  return { lines: out, mix: mixCost, mixUsage, primes: primes && { usage: primes.usage, cost: primes.cost } };
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`error: ${(error as Error).stack ?? error}`);
  code = 1;
} finally {
  await stopStack().catch((e) => log(`stop: ${(e as Error).message}`));
}
process.exit(code);
