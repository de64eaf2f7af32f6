import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { http, localStack, pollUntil, sleep } from '../support/http.ts';

/**
 * Submits sent at once: most of the submit function's reservation (50: 20 plain plus 30 waiting),
 * not all of it, since the other test files share this stack and submit meanwhile.
 */
const BURST = 35;
const terminal = (task: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(task.status);

function stepFunctions() {
  return new SFNClient({
    endpoint: localStack().stepFunctionsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('a task over real HTTP, through the state machine CDK synthesizes', () => {
  it('submit -> 202 -> running with rising progress -> succeeded -> result', async () => {
    const submitted = await http('POST', '/tasks', { body: { type: 'primes', input: { upTo: 10_000_000 } } });
    expect(submitted.status).toBe(202);
    const location = submitted.headers.get('location')!;
    expect(location).toBe(`${localStack().baseUrl}/tasks/${submitted.body.id}`);
    expect(submitted.headers.get('operation-location')).toBe(location);
    expect(Number(submitted.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const { task, seen } = await pollUntil(location, terminal, { maxWaitMs: 50, timeoutMs: 120_000 });
    expect(task.status).toBe('succeeded');
    expect(task.progress.percent).toBe(100);
    const running = seen.filter((t) => t.status === 'running').map((t) => t.progress.percent as number);
    expect(running.length).toBeGreaterThan(0);
    expect(new Set(running).size).toBeGreaterThan(1);
    expect(running).toEqual([...running].sort((a, b) => a - b));
    expect(task.startedAt).toBeDefined();
    expect(task.completedAt).toBeDefined();

    const result = await http('GET', `${location}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ count: 664_579 });
  });

  it('cancels a long sleep: 200 cancelled, idempotent second DELETE, result 409, execution aborted', async () => {
    const submitted = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 3600 } } });
    const location = submitted.headers.get('location')!;
    await pollUntil(location, (t) => t.status === 'running');

    const cancelled = await http('DELETE', location);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const again = await http('DELETE', location);
    expect(again.status).toBe(200);
    // The same cancelled task (its compensation, run once the execution has stopped, may have begun meanwhile).
    const { compensation: _compensation, ...sameAgain } = again.body;
    expect(sameAgain).toEqual(cancelled.body);

    const result = await http('GET', `${location}/result`);
    expect(result.status).toBe(409);
    expect(result.body.taskStatus).toBe('cancelled');
    expect(result.headers.get('retry-after')).toBeNull();

    const execution = await stepFunctions().send(
      new DescribeExecutionCommand({ executionArn: `${localStack().stateMachineArn.replace(':stateMachine:', ':execution:')}:${submitted.body.id}` }),
    );
    expect(execution.status).toBe('ABORTED');
    // The aborted execution's backstop event arrives after the cancel; the task stays cancelled.
    await sleep(300);
    expect((await http('GET', location)).body.status).toBe('cancelled');
  });

  it('a fail task ends failed, with its message in error', async () => {
    const submitted = await http('POST', '/tasks', { body: { type: 'fail', input: { message: 'the flux capacitor overheated' } } });
    const { task } = await pollUntil(submitted.headers.get('location')!, terminal);
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ type: 'https://longrun.dev/problems/task-failed', detail: 'the flux capacitor overheated' });
    const result = await http('GET', `${submitted.headers.get('location')}/result`);
    expect(result.status).toBe(409);
    expect(result.body.taskStatus).toBe('failed');
  });

  it('answers 404 for unknown ids and 400 for bad JSON', async () => {
    for (const path of [`/tasks/${newTaskId()}`, `/tasks/${newTaskId()}/result`, '/tasks/nope']) {
      const response = await http('GET', path);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await http('DELETE', `/tasks/${newTaskId()}`)).status).toBe(404);
    const bad = await http('POST', '/tasks', { raw: '{"type": "primes", "input": {', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('https://longrun.dev/problems/malformed-json');
  });

  it('a task whose execution times out ends failed, recorded by the execution-status backstop', async () => {
    const timeout = localStack().executionTimeoutSeconds;
    const submitted = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 3600 } } });
    const { task } = await pollUntil(submitted.headers.get('location')!, terminal, { maxWaitMs: 1000, timeoutMs: (timeout + 30) * 1000 });
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ type: 'https://longrun.dev/problems/task-failed', detail: 'The task exceeded its time limit.' });
    const execution = await stepFunctions().send(
      new DescribeExecutionCommand({ executionArn: `${localStack().stateMachineArn.replace(':stateMachine:', ':execution:')}:${task.id}` }),
    );
    expect(execution.status).toBe('TIMED_OUT');
  });

  it('a burst of concurrent submits all reach succeeded, none lost (any refused at the reserved concurrency are retried after Retry-After)', async () => {
    const bodies = Array.from({ length: BURST }, (_, i) =>
      i % 2 === 0 ? { type: 'primes', input: { upTo: 1000 + i } } : { type: 'sleep', input: { seconds: 1 } },
    );
    // Like Lambda, the local stack refuses submits past the function's reservation with 503 +
    // Retry-After, and a client that honours it gets through.
    const throttles = { throttled: 0 };
    const submitted = await Promise.all(
      bodies.map((body, i) =>
        http('POST', '/tasks', { body, headers: { 'idempotency-key': `burst-${Date.now()}-${i}` }, retryThrottles: throttles }),
      ),
    );
    expect(submitted.map((r) => r.status)).toEqual(Array(BURST).fill(202));
    expect(new Set(submitted.map((r) => r.body.id)).size).toBe(BURST);
    const finished = await Promise.all(
      submitted.map((r) => pollUntil(r.headers.get('location')!, terminal, { maxWaitMs: 1000, timeoutMs: 120_000 })),
    );
    expect(finished.filter((f) => f.task.status !== 'succeeded').map((f) => f.task)).toEqual([]);
    // Every one of them is listed as succeeded (paging on: other tests share this caller).
    const listedIds = new Set<string>();
    let path: string | undefined = '/tasks?limit=100&status=succeeded';
    while (path && submitted.some((r) => !listedIds.has(r.body.id))) {
      const page = await http('GET', path);
      for (const t of page.body.items) listedIds.add(t.id);
      path = page.body.nextCursor ? `/tasks?limit=100&status=succeeded&cursor=${encodeURIComponent(page.body.nextCursor)}` : undefined;
    }
    for (const r of submitted) expect(listedIds.has(r.body.id)).toBe(true);
  });
});
