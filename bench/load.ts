/**
 * Part 4: load on the local stack over real HTTP. C concurrent clients take tasks from one queue;
 * each client submits a task, polls it to a terminal status honouring `Retry-After` (one wait is
 * capped, so the run ends), cancels it if it is one of the tasks to cancel, fetches a primes
 * result and checks it. A task is lost when it is not terminal by its deadline, ends with the wrong
 * status, or a primes result is wrong.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fetchRetryingThrottles, type ThrottleCount } from '../test/support/throttle-retry.ts';
import { sleep, summary } from './stats.ts';

type Kind = 'submit' | 'status' | 'cancel' | 'result';

export interface LoadOptions {
  baseUrl: string;
  apiKey: string;
  tasks: number;
  concurrency: number;
  /** Longest single wait between polls, seconds. */
  maxWaitSeconds: number;
  /** A task not terminal this long after its submit is stuck. */
  taskDeadlineSeconds: number;
  seed: number;
  log: (l: string) => void;
}

export interface TaskPlan {
  type: 'primes' | 'quick' | 'sleep' | 'fail';
  input: Record<string, unknown>;
  cancel: boolean;
  expected: 'succeeded' | 'failed' | 'cancelled';
}

interface TaskOutcome {
  plan: TaskPlan;
  id?: string;
  status?: string;
  polls: number;
  notModified: number;
  /** Sum of the Retry-After values the task was answered with (before capping). */
  retryAfterSum: number;
  submittedAt: number;
  terminalAt?: number;
  problem?: string;
}

export interface LoadResult {
  options: Omit<LoadOptions, 'log' | 'apiKey' | 'baseUrl'>;
  outcomes: TaskOutcome[];
  latencies: Record<Kind, number[]>;
  wallSeconds: number;
  lost: TaskOutcome[];
  /** Responses with a 5xx status, besides capacity answers waited out (a 5xx of our own is a bug). */
  serverErrors: number;
  /** Capacity answers (503/429 with Retry-After: a function at its reserved concurrency), waited out and retried. */
  throttled: number;
  mix: Record<string, number>;
  /** Bytes of the 200 status bodies, and how many there were (what a 304 saves per answer). */
  statusBodyBytes: number;
  statusBodies: number;
}

/** mulberry32: a small seeded PRNG, so every run submits the same mix. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The mix: 60 % primes (upTo 2,000–20,000), 10 % the same count as `quick` (the demo's Express task
 * type), 22 % sleep 0–2 s (a tenth of them 30 s and cancelled), 8 % fail.
 */
export function planTasks(n: number, seed: number): TaskPlan[] {
  const rnd = prng(seed);
  const plans: TaskPlan[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.7) {
      // Drawn the same way for both types, so the mix's primes work stays what it was.
      const upTo = 2000 + Math.floor(rnd() * 18_001);
      plans.push({ type: r < 0.6 ? 'primes' : 'quick', input: { upTo }, cancel: false, expected: 'succeeded' });
    } else if (r < 0.92) {
      const cancel = rnd() < 0.1;
      plans.push({ type: 'sleep', input: { seconds: cancel ? 30 : Math.floor(rnd() * 3) }, cancel, expected: cancel ? 'cancelled' : 'succeeded' });
    } else plans.push({ type: 'fail', input: { message: `load test failure ${i}` }, cancel: false, expected: 'failed' });
  }
  return plans;
}

const primeCounts = new Map<number, number>();
function primesUpTo(n: number): number {
  let c = primeCounts.get(n);
  if (c !== undefined) return c;
  const composite = new Uint8Array(n + 1);
  c = 0;
  for (let i = 2; i <= n; i++) {
    if (composite[i]) continue;
    c++;
    for (let m = i * i; m <= n; m += i) composite[m] = 1;
  }
  primeCounts.set(n, c);
  return c;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const plans = planTasks(options.tasks, options.seed);
  const latencies: Record<Kind, number[]> = { submit: [], status: [], cancel: [], result: [] };
  let serverErrors = 0;
  const throttles: ThrottleCount = { throttled: 0 };
  let statusBodyBytes = 0;
  let statusBodies = 0;
  const request = async (kind: Kind, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const t0 = performance.now();
    // A capacity answer is waited out and sent again, as a client honouring Retry-After does (a
    // submit carries an Idempotency-Key, so a retry never makes a second task).
    const res = await fetchRetryingThrottles(
      `${options.baseUrl}${path}`,
      {
        method,
        headers: {
          'x-api-key': options.apiKey,
          ...(init.body !== undefined && { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
          ...init.headers,
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      },
      throttles,
    );
    const text = await res.text();
    latencies[kind].push(performance.now() - t0);
    if (res.status >= 500) serverErrors++;
    if (kind === 'status' && res.status === 200) {
      statusBodyBytes += Buffer.byteLength(text);
      statusBodies++;
    }
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };

  const outcomes: TaskOutcome[] = [];
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const progress = setInterval(
    () => options.log(`load: ${done}/${plans.length} tasks done, ${((performance.now() - t0) / 1000).toFixed(0)} s`),
    10_000,
  );

  async function runTask(plan: TaskPlan): Promise<TaskOutcome> {
    const outcome: TaskOutcome = { plan, polls: 0, notModified: 0, retryAfterSum: 0, submittedAt: performance.now() };
    const submitted = await request('submit', 'POST', '/tasks', { body: { type: plan.type, input: plan.input } });
    if (submitted.status !== 202) {
      outcome.problem = `submit answered ${submitted.status}`;
      return outcome;
    }
    outcome.id = submitted.body!.id as string;
    const location = new URL(submitted.headers.get('location')!, options.baseUrl).pathname.replace(/^\/v1/, '');
    let retryAfter = Number(submitted.headers.get('retry-after') ?? 1);
    let etag: string | undefined;
    let task = submitted.body!;
    const deadline = outcome.submittedAt + options.taskDeadlineSeconds * 1000;
    let cancelSent = false;
    while (!TERMINAL.has(task.status)) {
      if (performance.now() > deadline) {
        outcome.problem = `not terminal after ${options.taskDeadlineSeconds} s (status ${task.status})`;
        outcome.status = task.status;
        return outcome;
      }
      outcome.retryAfterSum += retryAfter;
      await sleep(Math.min(retryAfter, options.maxWaitSeconds) * 1000);
      if (plan.cancel && !cancelSent) {
        cancelSent = true;
        const cancelled = await request('cancel', 'DELETE', location);
        if (cancelled.status !== 200 && cancelled.status !== 202) {
          outcome.problem = `cancel answered ${cancelled.status}`;
          return outcome;
        }
        task = cancelled.body!;
        continue;
      }
      const polled = await request('status', 'GET', location, { headers: etag ? { 'if-none-match': etag } : {} });
      outcome.polls++;
      if (polled.status === 304) outcome.notModified++;
      else if (polled.status === 200) task = polled.body!;
      else {
        outcome.problem = `status answered ${polled.status}`;
        return outcome;
      }
      etag = polled.headers.get('etag') ?? etag;
      retryAfter = Number(polled.headers.get('retry-after') ?? 1);
    }
    outcome.terminalAt = performance.now();
    outcome.status = task.status;
    if (task.status !== plan.expected) {
      outcome.problem = `ended ${task.status}, expected ${plan.expected}`;
    } else if (plan.type === 'primes' || plan.type === 'quick') {
      const result = await request('result', 'GET', `${location}/result`);
      const want = primesUpTo(plan.input.upTo as number);
      if (result.status !== 200 || result.body?.count !== want)
        outcome.problem = `result ${result.status} ${JSON.stringify(result.body)}, expected count ${want}`;
    }
    return outcome;
  }

  async function client(): Promise<void> {
    while (next < plans.length) {
      const plan = plans[next++]!;
      let outcome: TaskOutcome;
      try {
        outcome = await runTask(plan);
      } catch (error) {
        outcome = {
          plan,
          polls: 0,
          notModified: 0,
          retryAfterSum: 0,
          submittedAt: performance.now(),
          problem: `client error: ${(error as Error).message}`,
        };
      }
      outcomes.push(outcome);
      done++;
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => client()));
  } finally {
    clearInterval(progress);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const mix: Record<string, number> = {};
  for (const p of plans) {
    const k = p.cancel ? 'sleep (cancelled)' : p.type;
    mix[k] = (mix[k] ?? 0) + 1;
  }
  const { log: _log, apiKey: _k, baseUrl: _b, ...rest } = options;
  return {
    options: rest,
    outcomes,
    latencies,
    wallSeconds,
    lost: outcomes.filter((o) => o.problem),
    serverErrors,
    throttled: throttles.throttled,
    mix,
    statusBodyBytes,
    statusBodies,
  };
}

export function latencySummary(result: LoadResult) {
  return Object.fromEntries(Object.entries(result.latencies).map(([k, v]) => [k, summary(v)])) as Record<Kind, ReturnType<typeof summary>>;
}
