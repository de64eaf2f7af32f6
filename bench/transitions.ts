/**
 * Part 2: state transitions per task, read from the local Step Functions endpoint
 * (`getExecutionStats`, execution name = task id), split into the shell's states (recording the
 * outcome) and the worker's. Each task runs alone, so the SDK calls counted meanwhile are exactly
 * its own backend calls (submit, backstop, worker progress, cancel), excluding polls.
 */

import type { LocalStack } from '@longrun/local';
import { DEMO_STATES } from '../lib/demo/demo-worker.ts';
import { SHELL_STATES } from '../lib/index.ts';
import { type SdkCounter, sumTally, type Tally } from './sdk-counter.ts';
import { sleep } from './stats.ts';

export interface TransitionRow {
  name: string;
  body: { type: string; input: Record<string, unknown> };
  finalStatus: string;
  executionStatus: string;
  transitions: number;
  shell: number;
  worker: number;
  byState: Record<string, number>;
  /** SDK calls the Lambdas made for this task (polls excluded). */
  calls: Tally;
  /** DynamoDB writes by Lambdas: [changed the item, failed their condition]. */
  lambdaWrites: { ok: number; failed: number };
  /** Step Functions DynamoDB service-integration writes (RecordSuccess / RecordFailure). */
  integrationWrites: number;
  workerInvocations: number;
}

const SHELL = new Set<string>(Object.values(SHELL_STATES));
const WORKER = new Set<string>(Object.values(DEMO_STATES));

export async function measureTransitions(stack: LocalStack, apiKey: string, counter: SdkCounter, log: (l: string) => void): Promise<TransitionRow[]> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
  };
  const cases: Array<{ name: string; body: TransitionRow['body']; cancel?: boolean }> = [
    { name: 'primes (upTo 100,000)', body: { type: 'primes', input: { upTo: 100_000 } } },
    { name: 'sleep (1 s)', body: { type: 'sleep', input: { seconds: 1 } } },
    { name: 'fail', body: { type: 'fail', input: { message: 'benchmark failure' } } },
    { name: 'sleep, cancelled while running', body: { type: 'sleep', input: { seconds: 3600 } }, cancel: true },
  ];
  const rows: TransitionRow[] = [];
  for (const c of cases) {
    counter.reset();
    const submitted = await call('POST', '/tasks', c.body);
    if (submitted.status !== 202) throw new Error(`submit ${c.name}: ${submitted.status} ${JSON.stringify(submitted.body)}`);
    const id = submitted.body.id as string;
    if (c.cancel) {
      for (let i = 0; i < 200 && !stack.stepFunctions.getExecutionStats(id)?.byState[DEMO_STATES.sleep]; i++) await sleep(25);
      await sleep(200); // let the RUNNING event reach the backstop first, as it would in practice
      const cancelled = await call('DELETE', `/tasks/${id}`);
      if (cancelled.status !== 200 && cancelled.status !== 202) throw new Error(`cancel: ${cancelled.status}`);
    }
    const stats = await stack.stepFunctions.waitForExecution(id);
    if (!stats) throw new Error(`no execution for ${id}`);
    const calls = counter.reset();
    const final = await call('GET', `/tasks/${id}`);
    let shell = 0;
    let worker = 0;
    for (const [state, n] of Object.entries(stats.byState)) {
      if (SHELL.has(state)) shell += n;
      else worker += n;
      if (!SHELL.has(state) && !WORKER.has(state)) log(`transitions: state ${state} is neither in SHELL_STATES nor DEMO_STATES; counted as worker`);
    }
    rows.push({
      name: c.name,
      body: c.body,
      finalStatus: final.body.status,
      executionStatus: stats.status,
      transitions: stats.transitions,
      shell,
      worker,
      byState: stats.byState,
      calls,
      lambdaWrites: {
        ok: sumTally(calls, (cl, cmd, err) => cl === 'DynamoDB' && /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems)$/.test(cmd) && !err),
        failed: sumTally(calls, (cl, cmd, err) => cl === 'DynamoDB' && /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems)$/.test(cmd) && !!err),
      },
      integrationWrites: (stats.byState[SHELL_STATES.recordSuccess] ?? 0) + (stats.byState[SHELL_STATES.recordFailure] ?? 0),
      workerInvocations: stats.byState[DEMO_STATES.countPrimes] ?? 0,
    });
    log(`transitions: ${c.name} -> ${stats.status}, ${stats.transitions} transitions`);
  }
  return rows;
}
