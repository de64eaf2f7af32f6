/**
 * No result is lost when the workflow cannot write it: an in-process local stack whose every
 * DynamoDB step of the workflow (RecordSuccess, RecordFailure) is throttled on every attempt, with
 * the retries' intervals cut to milliseconds so that they are used up in seconds. The execution
 * still ends as the worker did (RecordSuccess's catch-all succeeds with the worker's output), and
 * the backstop records the right outcome from the execution's status event.
 */
import { type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const KEY = 'record-throttled-key';
let stack: LocalStack;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function finished(type: string, input: unknown): Promise<{ id: string; task: any }> {
  const submitted = await api('POST', '/tasks', { type, input });
  expect(submitted.status).toBe(202);
  const id = submitted.body.id as string;
  await stack.stepFunctions.waitForExecution(id);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await api('GET', `/tasks/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return { id, task: body };
    if (Date.now() > deadline) throw new Error(`task ${id} still ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [KEY],
    faults: { throttleWorkflowWrites: 1 },
    retryIntervalMsOverride: 5,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('RecordSuccess throttled past its retries', () => {
  it('the task still succeeds with the worker result, recorded by the backstop from the execution output', async () => {
    const { id, task } = await finished('primes', { upTo: 1000 });
    expect(task.status).toBe('succeeded');
    const result = await api('GET', `/tasks/${id}/result`);
    expect(result.status).toBe(200);
    // 168 primes below 1000: the worker's own answer, not a placeholder.
    expect(result.body).toEqual({ count: 168 });
    const stats = stack.stepFunctions.getExecutionStats(id)!;
    expect(stats.status).toBe('SUCCEEDED');
    // Every attempt of RecordSuccess was throttled (the first and 8 retries), then the catch-all ended the execution.
    expect(stats.byState.RecordSuccess).toBe(1);
    expect(stats.byState.ResultLeftToBackstop).toBe(1);
    expect(stack.stepFunctions.faults.injected.filter((f) => f.name === id)).toHaveLength(9);
  });

  it('RecordFailure throttled too: the task fails with the worker error, not the throttle', async () => {
    const { task } = await finished('fail', { message: 'the worker says no' });
    expect(task.status).toBe('failed');
    expect(JSON.stringify(task.error)).toContain('the worker says no');
    expect(JSON.stringify(task.error)).not.toContain('ProvisionedThroughputExceeded');
  });
});
