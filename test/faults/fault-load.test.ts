/**
 * Fault-injected load, the `npm test` size (it runs beside the rest of the suite): 300 tasks from 32
 * clients while StartExecution fails for 5 % of submits (half before, half after it took effect),
 * 10 % of status events are dropped and 2 % of the workflow's DynamoDB writes are throttled. Every
 * task reaches the right outcome, every primes result is right, nothing is left open, and the only
 * 5xx are the 503s the contract allows for a start that failed. `FAULT_TASKS=1000` runs the
 * issue's full size here; `npm run faults` runs 1,000 and reports the figures (bench part 7).
 */

import { type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type FaultLoadResult, runFaultLoad } from '../../bench/faults.ts';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
const KEY = 'fault-load-key';
const TASKS = Number(process.env.FAULT_TASKS ?? 300);
let stack: LocalStack;
let result: FaultLoadResult;

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [KEY],
    sweepIntervalSeconds: 2,
    sweepAgeSeconds: 4,
    faults: { failStarts: 0.05, dropStatusEvents: 0.1, throttleWorkflowWrites: 0.02 },
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it(`${TASKS} tasks, 32 clients, with faults: every task at its outcome, 0 stuck, only allowed 503s`, async () => {
  result = await runFaultLoad(stack, KEY, { tasks: TASKS, concurrency: 32, seed: 9, taskDeadlineSeconds: 120, maxWaitSeconds: 2, log: () => {} });
  expect(result.wrong).toEqual([]);
  expect(result.stuck).toEqual([]);
  expect(result.otherServerErrors).toBe(0);
  // Each kind of fault did happen, so the run proves something.
  expect(result.faults['dropped-event']).toBeGreaterThan(0);
  expect(result.faults['start-failed-before'] + result.faults['start-failed-after']).toBeGreaterThan(0);
  expect(result.faults['throttled-write']).toBeGreaterThan(0);
  // A start that failed answered 503; the client's retry with its Idempotency-Key got the same task,
  // so every task ran once: exactly one row per planned task, none closed as start-failed.
  expect(result.allowed503).toBeGreaterThan(0);
  expect(Object.values(result.rows).reduce((a, b) => a + b, 0)).toBe(TASKS);
  expect(result.rows['failed (start-failed)']).toBeUndefined();
  expect(result.sweeper.runs).toBeGreaterThan(0);
}, 600_000);
