/**
 * Part 1: AWS calls per request. The route handlers run in this process (the same module instances
 * the local stack serves), called with API Gateway REST proxy events; every SDK call they make is
 * counted by `SdkCounter`. Handler durations measured here feed the cost model (part 5).
 */
import { performance } from 'node:perf_hooks';
import type { LocalStack } from '@longrun/local';
import { apiEvent as proxyEvent } from '../test/support/api-event.ts';
import type { CallRecord, SdkCounter } from './sdk-counter.ts';
import { median, sleep } from './stats.ts';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body?: string }>;

interface CallRow {
  request: string;
  /** Function (for memory size / cost). */
  fn: string;
  minimum: number;
  calls: number;
  /** e.g. `DynamoDB.TransactWriteItems!TransactionCanceledException, DynamoDB.GetItem`. */
  detail: string;
  status: number;
  medianMs: number;
  samples: number;
  reason?: string;
}

export interface CallsResult {
  rows: CallRow[];
  /** Median handler duration by function name, ms (in-process against DynamoDB Local). */
  durations: Record<string, number>;
  /** Median progress writes (UpdateItem) per count-primes invocation of upTo 20,000. */
  progressWrites: number;
}

const OWNER_KEY_ID = 'bench-calls';

/** A proxy event from the bench's caller; `body` is sent as JSON. */
function apiEvent(o: {
  method: string;
  resource: string;
  id?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}) {
  return proxyEvent({
    method: o.method,
    resource: o.resource,
    ...(o.id && { pathParameters: { id: o.id } }),
    ...(o.query && { query: o.query }),
    headers: { ...(o.body !== undefined && { 'content-type': 'application/json' }), ...o.headers },
    ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
    apiKeyId: OWNER_KEY_ID,
  });
}

const lambdaContext = {
  functionName: 'bench',
  awsRequestId: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 300_000,
};

/** AWS API names for the document client's commands. */
const API_NAME: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  TransactWrite: 'TransactWriteItems',
  Query: 'Query',
};
const apiName = (command: string): string => API_NAME[command] ?? command;

/** The calls of one run, each with its median duration over every run that made the same calls; repeats folded (`UpdateItem ×19`). */
function describeCalls(calls: CallRecord[], runs: CallRecord[][]): string {
  const same = runs.filter((r) => r.length === calls.length);
  const parts: string[] = [];
  for (let i = 0; i < calls.length; ) {
    const c = calls[i]!;
    const label = `${c.client}.${apiName(c.command)}${c.error ? ` (${c.error})` : ''}`;
    let j = i;
    while (j < calls.length && calls[j]!.command === c.command && calls[j]!.error === c.error) j++;
    const times = same.flatMap((r) => r.slice(i, j).map((x) => x.ms ?? NaN));
    parts.push(`${label}${j - i > 1 ? ` ×${j - i}` : ''} ${median(times).toFixed(1)} ms${j - i > 1 ? ' each' : ''}`);
    i = j;
  }
  return parts.join(', ') || '—';
}

export async function measureCalls(
  stack: LocalStack,
  counter: SdkCounter,
  options: { repeats: number; log: (l: string) => void },
): Promise<CallsResult> {
  const load = async (name: string): Promise<Handler> => (await import(`../lambdas/http/${name}.ts`)).handler as Handler;
  const submit = await load('submit-task');
  const getTask = await load('get-task');
  const getResult = await load('get-task-result');
  const cancel = await load('cancel-task');
  const list = await load('list-tasks');
  const countPrimes = (await import('../lib/demo/functions/count-primes.ts')).handler as unknown as Handler;
  const reconcile = (await import('../lambdas/workflow/reconcile-execution.ts')).handler as unknown as Handler;

  const samples = new Map<
    string,
    { fn: string; minimum: number; runs: Array<{ calls: CallRecord[]; ms: number; status: number }>; reason?: string }
  >();
  async function counted(request: string, fn: string, minimum: number, call: () => Promise<{ statusCode: number; body?: string } | unknown>) {
    const t0 = performance.now();
    const { value, calls } = await counter.attribute(call);
    const ms = performance.now() - t0;
    const status = (value as { statusCode?: number } | undefined)?.statusCode ?? 0;
    let entry = samples.get(request);
    if (!entry) {
      entry = { fn, minimum, runs: [] };
      samples.set(request, entry);
    }
    entry.runs.push({ calls, ms, status });
    return value as { statusCode: number; headers?: Record<string, unknown>; body?: string };
  }
  const body = (r: { body?: string }) => JSON.parse(r.body ?? '{}') as Record<string, any>;
  const statusOf = async (id: string) =>
    body(await getTask(apiEvent({ method: 'GET', resource: '/tasks/{id}', id }), lambdaContext)).status as string;
  async function waitFor(id: string, want: (s: string) => boolean): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (want(await statusOf(id))) return;
      await sleep(50);
    }
    throw new Error(`task ${id} did not reach the expected status`);
  }

  const R = options.repeats;
  // Submit: a cheap task, R times.
  for (let i = 0; i < R; i++) {
    await counted('submit', 'submit-task', 2, () =>
      submit(apiEvent({ method: 'POST', resource: '/tasks', body: { type: 'sleep', input: { seconds: 0 } } }), lambdaContext),
    );
  }
  // Long sleeps to read, cancel and let the worker report progress on.
  const longIds: string[] = [];
  for (let i = 0; i < Math.max(2, Math.ceil(R / 2)); i++) {
    const r = await counted('submit', 'submit-task', 2, () =>
      submit(apiEvent({ method: 'POST', resource: '/tasks', body: { type: 'sleep', input: { seconds: 3600 } } }), lambdaContext),
    );
    longIds.push(body(r).id);
  }
  for (const id of longIds) await waitFor(id, (s) => s === 'running');
  options.log('calls: submit done');

  const readId = longIds[0]!;
  let etag = '';
  for (let i = 0; i < R; i++) {
    const r = await counted('status', 'get-task', 1, () => getTask(apiEvent({ method: 'GET', resource: '/tasks/{id}', id: readId }), lambdaContext));
    etag = String(r.headers?.ETag ?? r.headers?.etag ?? '');
  }
  for (let i = 0; i < R; i++) {
    await counted('status, If-None-Match (304)', 'get-task', 1, () =>
      getTask(apiEvent({ method: 'GET', resource: '/tasks/{id}', id: readId, headers: { 'if-none-match': etag } }), lambdaContext),
    );
  }

  // Result of a succeeded task.
  const primes = body(await submit(apiEvent({ method: 'POST', resource: '/tasks', body: { type: 'primes', input: { upTo: 1000 } } }), lambdaContext))
    .id as string;
  await stack.stepFunctions.waitForExecution(primes);
  await waitFor(primes, (s) => s === 'succeeded');
  for (let i = 0; i < R; i++) {
    await counted('result (succeeded task)', 'get-task-result', 1, () =>
      getResult(apiEvent({ method: 'GET', resource: '/tasks/{id}/result', id: primes }), lambdaContext),
    );
  }

  for (let i = 0; i < R; i++)
    await counted('list (limit 20)', 'list-tasks', 1, () =>
      list(apiEvent({ method: 'GET', resource: '/tasks', query: { limit: '20' } }), lambdaContext),
    );

  // Idempotency: a first submit with a key, then replays of it once it runs.
  const key = `bench-${crypto.randomUUID()}`;
  const idemBody = { type: 'sleep', input: { seconds: 3600 } };
  const first = await counted('submit with Idempotency-Key (first)', 'submit-task', 2, () =>
    submit(apiEvent({ method: 'POST', resource: '/tasks', body: idemBody, headers: { 'idempotency-key': key } }), lambdaContext),
  );
  const idemId = body(first).id as string;
  longIds.push(idemId);
  await waitFor(idemId, (s) => s === 'running');
  for (let i = 0; i < R; i++) {
    await counted('submit, replayed Idempotency-Key', 'submit-task', 2, () =>
      submit(apiEvent({ method: 'POST', resource: '/tasks', body: idemBody, headers: { 'idempotency-key': key } }), lambdaContext),
    );
  }
  samples.get('submit, replayed Idempotency-Key')!.reason =
    'the claim and the task are written in one conditional transaction; when it fails on the claim, the cancellation reason carries the claim (ALL_OLD) but not the task, so the task is read with one GetItem. (A replay while the task is still `pending` also calls StartExecution again — idempotent — to finish a first request that died before starting it.)';

  // The worker's progress reports, on a running task: invocations of count-primes.
  const WORKER_ROW = 'worker: count-primes, one invocation (upTo 20,000)';
  for (let i = 0; i < R; i++)
    await counted(WORKER_ROW, 'count-primes', 0, () => countPrimes({ taskId: readId, input: { upTo: 20_000 } }, lambdaContext));
  const workerRuns = samples.get(WORKER_ROW)!.runs;
  const progressWrites = median(workerRuns.map((r) => r.calls.filter((c) => c.client === 'DynamoDB' && apiName(c.command) === 'UpdateItem').length));
  samples.get(WORKER_ROW)!.reason =
    `progress reports, one conditional UpdateItem each (it also reads back whether the task was cancelled); the helper writes the first report at once, then when a second has passed or progress moved 25 points (\`progressReporter\`), so this invocation (${Math.ceil(median(workerRuns.map((r) => r.ms)))} ms) writes ${progressWrites} (median over ${workerRuns.length} invocations)`;

  // Cancel running sleeps (all but the one kept for the worker above).
  for (const id of longIds)
    await counted('cancel (running sleep)', 'cancel-task', 2, () =>
      cancel(apiEvent({ method: 'DELETE', resource: '/tasks/{id}', id }), lambdaContext),
    );
  for (const id of longIds) await stack.stepFunctions.waitForExecution(id);

  // The backstop on an event for a task the workflow already recorded (the common case).
  for (let i = 0; i < R; i++) {
    await counted('backstop: status-change event, already recorded', 'reconcile-execution', 1, () =>
      reconcile({ detail: { name: primes, status: 'SUCCEEDED', output: '{"count":168}', stopDate: Date.now() } }, lambdaContext),
    );
  }

  const rows: CallRow[] = [];
  const durations: Record<string, number> = {};
  const byFn = new Map<string, number[]>();
  for (const [request, e] of samples) {
    const counts = e.runs.map((r) => r.calls.length);
    const calls = Math.max(...counts);
    const worst = e.runs.find((r) => r.calls.length === calls)!;
    const msList = e.runs.map((r) => r.ms);
    rows.push({
      request,
      fn: e.fn,
      minimum: e.minimum,
      calls,
      detail:
        Math.min(...counts) === calls
          ? describeCalls(
              worst.calls,
              e.runs.map((r) => r.calls),
            )
          : `${describeCalls(
              worst.calls,
              e.runs.map((r) => r.calls),
            )} (some runs: ${Math.min(...counts)})`,
      status: worst.status,
      medianMs: median(msList),
      samples: e.runs.length,
      reason: e.reason,
    });
    byFn.set(e.fn, [...(byFn.get(e.fn) ?? []), ...msList]);
  }
  for (const [fn, list] of byFn) durations[fn] = median(list);
  return { rows, durations, progressWrites };
}
