/**
 * The fault section: load over real HTTP while the local Step Functions endpoint injects faults
 * (packages/local/src/faults.ts): StartExecution failing for a fraction of submits (half before, half after
 * the call took effect), status events dropped, the workflow's DynamoDB writes throttled. Clients
 * resubmit a 503 with the same Idempotency-Key (as the contract says they may). Afterwards every
 * task of the caller must be terminal (0 stuck), every planned task must end as planned with the
 * right primes count, and no 5xx but the allowed 503s may have been answered. Used by
 * `npm run faults`, by the benchmark's fault section and (smaller) by test/faults/fault-load.test.ts.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FaultKind, LocalStack } from '@longrun/local';
import { planTasks, type TaskPlan } from './load.ts';
import { sleep, summary } from './stats.ts';

export interface FaultLoadOptions {
  tasks: number;
  concurrency: number;
  seed: number;
  /** A task not terminal this long after its (accepted) submit is stuck. */
  taskDeadlineSeconds: number;
  /** Longest wait between two polls. */
  maxWaitSeconds: number;
  log: (line: string) => void;
}

export interface FaultLoadResult {
  tasks: number;
  concurrency: number;
  wallSeconds: number;
  /** Tasks that did not end as planned (status, result), with why. */
  wrong: Array<{ plan: TaskPlan; id?: string; problem: string }>;
  /** Tasks of the caller still pending or running at the end (the list, read after the run). */
  stuck: string[];
  /** Every task row of the caller, by final status (503'd submits leave `start-failed` rows). */
  rows: Record<string, number>;
  /** 503 answers (allowed: the contract's answer to a start that failed) and other 5xx (bugs). */
  allowed503: number;
  otherServerErrors: number;
  faults: Record<FaultKind, number>;
  /** Milliseconds from each injected fault to its task's terminal write, by kind. */
  faultToOutcome: Record<FaultKind, ReturnType<typeof summary>>;
  /** What the sweeper did: scheduled runs, DescribeExecution calls, open-index queries. */
  sweeper: { runs: number; describes: number; indexQueries: number };
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

function primesUpTo(n: number): number {
  const composite = new Uint8Array(n + 1);
  let c = 0;
  for (let i = 2; i <= n; i++) {
    if (composite[i]) continue;
    c++;
    for (let m = i * i; m <= n; m += i) composite[m] = 1;
  }
  return c;
}

type Middlewared = { middlewareStack: { add: (mw: any, opts: any) => void } };

/** Counts the sweeper's own calls on the handlers' clients: DescribeExecution, and Query on the open-task index. */
async function countSweeperCalls(): Promise<{ describes: number; indexQueries: number }> {
  const counts = { describes: 0, indexQueries: 0 };
  const { sfn } = await import('../lambdas/clients/sfn.ts');
  const { dynamodb } = await import('../lambdas/clients/dynamodb.ts');
  const { OPEN_INDEX } = await import('../lambdas/domain/open-index.ts');
  const count = (client: Middlewared, name: string, test: (context: { commandName?: string }, input: any) => boolean, key: keyof typeof counts) =>
    client.middlewareStack.add(
      (next: (args: any) => Promise<unknown>, context: { commandName?: string }) => async (args: any) => {
        if (test(context, args.input)) counts[key]++;
        return next(args);
      },
      { step: 'initialize', name },
    );
  count(sfn as unknown as Middlewared, 'faultsDescribeCounter', (c) => c.commandName === 'DescribeExecutionCommand', 'describes');
  count(
    dynamodb as unknown as Middlewared,
    'faultsIndexQueryCounter',
    (c, input) => c.commandName === 'QueryCommand' && input?.IndexName === OPEN_INDEX.name,
    'indexQueries',
  );
  return counts;
}

export async function runFaultLoad(stack: LocalStack, apiKey: string, options: FaultLoadOptions): Promise<FaultLoadResult> {
  const calls = await countSweeperCalls();
  const runsBefore = stack.schedules.runs;
  const plans = planTasks(options.tasks, options.seed);
  let allowed503 = 0;
  let otherServerErrors = 0;
  const request = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    if (res.status === 503) allowed503++;
    else if (res.status >= 500) otherServerErrors++;
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };

  const wrong: FaultLoadResult['wrong'] = [];
  async function runTask(plan: TaskPlan, index: number): Promise<void> {
    const key = `faults-${options.seed}-${index}`;
    let submitted = await request('POST', '/tasks', { body: { type: plan.type, input: plan.input }, headers: { 'idempotency-key': key } });
    for (let attempt = 0; submitted.status === 503 && attempt < 10; attempt++) {
      await sleep(Number(submitted.headers.get('retry-after') ?? 1) * 1000);
      submitted = await request('POST', '/tasks', { body: { type: plan.type, input: plan.input }, headers: { 'idempotency-key': key } });
    }
    if (submitted.status !== 202) return void wrong.push({ plan, problem: `submit answered ${submitted.status}` });
    const id = submitted.body!.id as string;
    let task = submitted.body!;
    let wait = Number(submitted.headers.get('retry-after') ?? 1);
    const deadline = performance.now() + options.taskDeadlineSeconds * 1000;
    let cancelSent = false;
    while (!TERMINAL.has(task.status)) {
      if (performance.now() > deadline) return void wrong.push({ plan, id, problem: `still ${task.status} after ${options.taskDeadlineSeconds} s` });
      await sleep(Math.min(wait, options.maxWaitSeconds) * 1000);
      if (plan.cancel && !cancelSent) {
        cancelSent = true;
        const cancelled = await request('DELETE', `/tasks/${id}`);
        if (cancelled.status !== 200) return void wrong.push({ plan, id, problem: `cancel answered ${cancelled.status}` });
        task = cancelled.body!;
        continue;
      }
      const polled = await request('GET', `/tasks/${id}`);
      if (polled.status !== 200) return void wrong.push({ plan, id, problem: `status answered ${polled.status}` });
      task = polled.body!;
      wait = Number(polled.headers.get('retry-after') ?? 1);
    }
    if (task.status !== plan.expected) return void wrong.push({ plan, id, problem: `ended ${task.status}, expected ${plan.expected}` });
    if (plan.type === 'primes' || plan.type === 'quick') {
      const result = await request('GET', `/tasks/${id}/result`);
      const want = primesUpTo(plan.input.upTo as number);
      if (result.status !== 200 || result.body?.count !== want)
        wrong.push({ plan, id, problem: `result ${result.status} ${JSON.stringify(result.body)}, expected ${want}` });
    }
  }

  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const progress = setInterval(() => options.log(`faults: ${done}/${plans.length} tasks done`), 10_000);
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < plans.length) {
          const index = next++;
          await runTask(plans[index]!, index).catch((error: unknown) =>
            wrong.push({ plan: plans[index]!, problem: `client error: ${(error as Error).message}` }),
          );
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  // Every row of the caller, through the API: none may be left open.
  const rows: Record<string, number> = {};
  const stuck: string[] = [];
  const completedAt = new Map<string, number>();
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await request('GET', `/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const item of (page.body?.items ?? []) as Array<Record<string, any>>) {
      const kind = item.error?.type?.endsWith('/start-failed') ? 'failed (start-failed)' : String(item.status);
      rows[kind] = (rows[kind] ?? 0) + 1;
      if (!TERMINAL.has(item.status)) stuck.push(item.id);
      if (item.completedAt) completedAt.set(item.id, Date.parse(item.completedAt));
    }
    cursor = page.body?.nextCursor ?? undefined;
  }

  const faults = stack.stepFunctions.faults;
  const delays: Record<FaultKind, number[]> = { 'dropped-event': [], 'start-failed-before': [], 'start-failed-after': [], 'throttled-write': [] };
  for (const f of faults.injected) {
    const end = completedAt.get(f.name);
    if (end !== undefined) delays[f.kind].push(Math.max(0, end - f.at));
  }
  const faultToOutcome = Object.fromEntries(Object.entries(delays).map(([k, v]) => [k, summary(v)])) as FaultLoadResult['faultToOutcome'];
  return {
    tasks: plans.length,
    concurrency: options.concurrency,
    wallSeconds,
    wrong,
    stuck,
    rows,
    allowed503,
    otherServerErrors,
    faults: faults.counts(),
    faultToOutcome,
    sweeper: { runs: stack.schedules.runs - runsBefore, ...calls },
  };
}

/** The benchmark's fault section: a fresh local stack with faults, the load, and a markdown report. */
export async function faultSection(options: {
  tasks: number;
  concurrency?: number;
  /** A synthesized cloud assembly of the demo app (default: synthesize it here). */
  assembly?: string;
  log: (line: string) => void;
}): Promise<{ lines: string[]; failed: boolean }> {
  const { startLocalStack } = await import('@longrun/local');
  const { OPEN_SHARDS } = await import('../lambdas/domain/open-index.ts');
  const { sweeperCostPerMillion, memorySizes, PRICES } = await import('./cost.ts');
  const { table, usd } = await import('./stats.ts');
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const apiKey = `faults-${Date.now()}`;
  const faults = { failStarts: 0.05, dropStatusEvents: 0.1, throttleWorkflowWrites: 0.02 };
  const sweep = { intervalSeconds: 2, ageSeconds: 4 };
  const stack = await startLocalStack({
    ...(options.assembly ? { assembly: options.assembly } : { cwd: fileURLToPath(new URL('..', import.meta.url)) }),
    port: 0,
    apiKeys: [apiKey],
    sweepIntervalSeconds: sweep.intervalSeconds,
    sweepAgeSeconds: sweep.ageSeconds,
    faults,
    log: () => {},
  });
  let r: FaultLoadResult;
  try {
    options.log(`faults: ${options.tasks} tasks with injected faults`);
    r = await runFaultLoad(stack, apiKey, {
      tasks: options.tasks,
      concurrency: options.concurrency ?? 32,
      seed: 9,
      taskDeadlineSeconds: 120,
      maxWaitSeconds: 2,
      log: options.log,
    });
  } finally {
    await stack.stop();
  }
  const out: string[] = [];
  const failed = r.stuck.length > 0 || r.wrong.length > 0 || r.otherServerErrors > 0;
  out.push('## 7. Faults: every task reaches its outcome');
  out.push('');
  out.push(
    `${r.tasks} tasks (the load-test mix) from ${r.concurrency} clients on a fresh local stack whose Step Functions endpoint injects faults (\`packages/local/src/faults.ts\`): StartExecution fails for ${faults.failStarts * 100} % of tasks (all SDK attempts of the first request; half before, half after the execution started), ${faults.dropStatusEvents * 100} % of status events are dropped, ${faults.throttleWorkflowWrites * 100} % of RecordSuccess/RecordFailure writes are throttled. Clients resubmit a 503 with the same Idempotency-Key. Sweeper every ${sweep.intervalSeconds} s for tasks older than ${sweep.ageSeconds} s (deployed default: 5 min / 5 min). Took ${r.wallSeconds.toFixed(0)} s.`,
  );
  out.push('');
  out.push(
    table(
      ['tasks', 'ended as planned', 'stuck', '503 (allowed)', 'other 5xx', 'rows by outcome'],
      [
        [
          r.tasks,
          r.tasks - r.wrong.length,
          `**${r.stuck.length}**`,
          r.allowed503,
          r.otherServerErrors,
          Object.entries(r.rows)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
      ],
    ),
  );
  out.push('');
  const seconds = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} s` : 'n/a');
  out.push(
    table(
      ['fault', 'injected', 'fault → task terminal, p50', 'p99', 'max'],
      (Object.keys(r.faults) as FaultKind[]).map((k) => [
        k,
        r.faults[k],
        seconds(r.faultToOutcome[k].p50),
        seconds(r.faultToOutcome[k].p99),
        seconds(r.faultToOutcome[k].max),
      ]),
    ),
  );
  out.push('');
  out.push(
    "(Fault → outcome: from the moment the fault was injected to the task's `completedAt`. A dropped event of a task the workflow records itself costs nothing; a dropped terminal event of a Fail state or timeout waits for the sweeper: up to age + interval. A failed start leaves the task `pending` with its key claimed: the client's retry with the same Idempotency-Key starts that same task, so each task runs once.)",
  );
  out.push('');
  const mem = memorySizes();
  const cost = sweeperCostPerMillion({
    tasksPerSecond: 1,
    intervalSeconds: 300,
    describesPerTask: r.sweeper.describes / r.tasks,
    queriesPerRun: Math.max(OPEN_SHARDS, r.sweeper.runs ? r.sweeper.indexQueries / r.sweeper.runs : OPEN_SHARDS),
    runMs: 200,
    memoryMb: mem.api,
  });
  out.push(
    `Sweeper in this run: ${r.sweeper.runs} runs, ${r.sweeper.indexQueries} index queries, ${r.sweeper.describes} DescribeExecution calls (${(r.sweeper.describes / r.tasks).toFixed(2)} per task). Its cost per million tasks, deployed (5-minute schedule, 1 task/s assumed, a run billed 200 ms at ${mem.api} MB; prices ${PRICES.asOf}):`,
  );
  out.push('');
  out.push(
    table(
      ['part', 'per million tasks', 'cost'],
      [
        ['open-task index writes (enter, running, leave: 3 WRU per task)', '3,000,000 WRU', usd(cost.indexWrites)],
        ['sweeper invocations', `${cost.runs.toFixed(0)} runs`, usd(cost.invocations)],
        ['index reads (Queries, one per shard per run)', `${(cost.runs * OPEN_SHARDS).toFixed(0)} Queries`, usd(cost.indexReads)],
        ['DescribeExecution (not billed; throttled at the account level)', `${cost.describes.toFixed(0)} calls at this run's fault rate`, '$0'],
        ['**total**', '', `**${usd(cost.total)}**`],
      ],
    ),
  );
  out.push('');
  for (const w of r.wrong.slice(0, 10)) out.push(`- **wrong**: ${w.plan.type} ${w.id ?? ''}: ${w.problem}`);
  if (r.stuck.length) out.push(`- **stuck**: ${r.stuck.slice(0, 10).join(', ')}`);
  return { lines: out, failed };
}

// `npm run faults [-- --tasks N]`: the fault section alone, 1,000 tasks by default.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: { tasks: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '32' }, assembly: { type: 'string' } },
    strict: true,
  });
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const { lines, failed } = await faultSection({
    tasks: Number(values.tasks),
    concurrency: Number(values.concurrency),
    assembly: values.assembly,
    log: (l) => process.stderr.write(`[faults] ${l}\n`),
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(failed ? 1 : 0);
}

/**
 * Runs the fault section in a child process (`npm run faults`): its handlers need their SDK
 * clients pointed at a stack with faults, and the benchmark's process already loaded them for
 * its own stack. Resolves with the child's markdown and whether it failed.
 */
export async function faultSectionInChild(
  tasks: number,
  log: (line: string) => void,
  assembly?: string,
): Promise<{ markdown: string; failed: boolean }> {
  const { spawn } = await import('node:child_process');
  const root = fileURLToPath(new URL('..', import.meta.url));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      `${root}node_modules/.bin/tsx`,
      ['bench/faults.ts', '--tasks', String(tasks), ...(assembly ? ['--assembly', assembly] : [])],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let markdown = '';
    child.stdout.on('data', (chunk: Buffer) => (markdown += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => log(chunk.toString().trimEnd()));
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ markdown, failed: code !== 0 }));
  });
}
