/**
 * The fault section: load over real HTTP while the local Step Functions endpoint injects faults
 * (lib/local/faults.ts): StartExecution failing for a fraction of submits (half before, half after
 * the call took effect), status events dropped, the workflow's DynamoDB writes throttled. Clients
 * resubmit a 503 with the same Idempotency-Key (as the contract says they may). Afterwards every
 * task of the caller must be terminal (0 stuck), every planned task must end as planned with the
 * right primes count, and no 5xx but the allowed 503s may have been answered. Used by
 * `npm run faults`, by the benchmark's fault section and (smaller) by test/faults/fault-load.test.ts.
 */
import { performance } from 'node:perf_hooks';
import type { FaultKind } from '../lib/local/faults.ts';
import type { LocalStack } from '../lib/local/local-stack.ts';
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
  count(dynamodb as unknown as Middlewared, 'faultsIndexQueryCounter', (c, input) => c.commandName === 'QueryCommand' && input?.IndexName === OPEN_INDEX.name, 'indexQueries');
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
    if (plan.type === 'primes') {
      const result = await request('GET', `/tasks/${id}/result`);
      const want = primesUpTo(plan.input.upTo as number);
      if (result.status !== 200 || result.body?.count !== want) wrong.push({ plan, id, problem: `result ${result.status} ${JSON.stringify(result.body)}, expected ${want}` });
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
          await runTask(plans[index]!, index).catch((error: unknown) => wrong.push({ plan: plans[index]!, problem: `client error: ${(error as Error).message}` }));
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
