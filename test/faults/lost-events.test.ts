/**
 * Every task reaches its outcome through the sweeper alone: an in-process local stack that drops
 * every execution status event (the backstop never hears of anything), with the sweeper running
 * every second on tasks older than 2 s, and a state machine timeout of 6 s.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiKeyId, type LocalStack, startLocalStack } from '@longrun/local';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { sfn } from '#clients/sfn';
import { newTaskId } from '#domain/ids';
import { openIndexAttributes } from '#domain/open-index';
import { getTask, putTask } from '#store/task-store';
import { useStackEnv } from '../support/handler-env.ts';
import { ownStackClient } from '../support/own-stack-client.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const KEY = 'lost-events-key';
let stack: LocalStack;

const { api, submit, waitFor } = ownStackClient(() => stack.baseUrl, KEY);

/** StopExecution requests (SDK attempts included) the endpoint received for the task's execution. */
const stopsOf = (id: string) => stack.stepFunctions.requests.filter((r) => r.operation === 'StopExecution' && r.name === id).length;

const terminal = (t: any) => ['succeeded', 'failed', 'cancelled'].includes(t?.status);

/** A task row as the submit function writes it, with no execution behind it. */
async function orphan(status: 'pending' | 'running', dueInSeconds = -10): Promise<string> {
  const now = new Date(Date.now() - 10_000).toISOString();
  const sweepAt = new Date(Date.now() + dueInSeconds * 1000).toISOString();
  const id = newTaskId();
  await putTask({
    id,
    owner: `key:${apiKeyId(KEY)}`,
    type: 'primes',
    status,
    input: JSON.stringify({ upTo: 1000 }),
    progress: { percent: 0 },
    createdAt: now,
    updatedAt: now,
    ...(status === 'running' && { startedAt: now }),
    version: 1,
    ttl: Math.ceil(Date.now() / 1000) + 3600,
    ...openIndexAttributes(id, sweepAt),
  });
  return id;
}

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [KEY],
    // Long enough for the sweeper to stop a cancelled execution first on a busy machine.
    timeoutSecondsOverride: 10,
    sweepIntervalSeconds: 1,
    sweepAgeSeconds: 2,
    faults: { dropStatusEvents: 1 },
    log: () => {},
  });
  // This process reads and writes task rows (and runs the sweeper once) against the stack, as its functions do.
  useStackEnv(stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('with every status event lost, the sweeper alone', () => {
  it('records a timeout', async () => {
    const id = await submit('sleep', { seconds: 60 });
    expect((await stack.stepFunctions.waitForExecution(id))?.status).toBe('TIMED_OUT');
    const task = await waitFor(id, terminal);
    expect(task).toMatchObject({ status: 'failed', error: { detail: 'The task exceeded its time limit.' } });
    expect(stack.stepFunctions.faults.counts()['dropped-event']).toBeGreaterThan(0);
  });

  it('records an external StopExecution as cancelled', async () => {
    const id = await submit('sleep', { seconds: 60 });
    await sfn.send(new StopExecutionCommand({ executionArn: `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}` }));
    const task = await waitFor(id, terminal);
    expect(task).toMatchObject({ status: 'cancelled', error: { type: 'https://longrun.dev/problems/task-cancelled' } });
  });

  it('records a Fail state with its message', async () => {
    const id = await submit('fail', { message: 'no luck today' });
    const task = await waitFor(id, terminal);
    expect(task).toMatchObject({ status: 'failed', error: { detail: 'no luck today' } });
  });

  it('a task the sweeper finished is delivered to its callbackUrl once, verified with standardwebhooks', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const res = await api('POST', '/tasks', { type: 'fail', input: { message: 'swept' }, callbackUrl: receiver.url });
      expect(res.status).toBe(202);
      const id = res.body.id as string;
      const task = await waitFor(id, (t) => terminal(t) && t.callback?.status === 'delivered');
      expect(task).toMatchObject({ status: 'failed', error: { detail: 'swept' }, callback: { attempts: 1 } });
      const requests = receiver.forTask(id);
      expect(requests).toHaveLength(1);
      const { secret } = (await api('GET', '/webhook-secret')).body;
      const event = new Webhook(secret).verify(requests[0]!.body, requests[0]!.headers as Record<string, string>) as any;
      expect(event).toMatchObject({ type: 'task.failed', data: { id, status: 'failed' } });
      expect(stack.stepFunctions.faults.counts()['dropped-event']).toBeGreaterThan(0);
    } finally {
      await receiver.stop();
    }
  });

  it('records a lost RUNNING event: a sleeping task becomes running', async () => {
    const id = await submit('sleep', { seconds: 60 });
    const task = await waitFor(id, (t) => t.status !== 'pending');
    expect(task.status).toBe('running');
    // Healthy now: the sweeper defers its next check instead of describing it on every run.
    const deadline = Date.now() + 20_000;
    while ((await getTask(id))?.sweepAt === task.createdAt) {
      if (Date.now() > deadline) throw new Error('never deferred');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await getTask(id))!.sweepAt! > task.createdAt).toBe(true);
    await api('DELETE', `/tasks/${id}`);
  });

  it('starts a pending task whose submit died before StartExecution, and it succeeds', async () => {
    const id = await orphan('pending');
    const task = await waitFor(id, terminal);
    expect(task.status).toBe('succeeded');
    expect((await api('GET', `/tasks/${id}/result`)).body).toEqual({ count: 168 });
  });

  it('fails a running task whose execution is gone with execution-lost', async () => {
    const id = await orphan('running');
    const task = await waitFor(id, terminal);
    expect(task).toMatchObject({ status: 'failed', error: { type: 'https://longrun.dev/problems/execution-lost', status: 503 } });
    expect((await getTask(id))?.openShard).toBeUndefined();
  });
});

describe('order of a run', () => {
  it('pending tasks are checked first, in every shard', async () => {
    const { sweepOpenTasks } = await import('#service/sweep');
    const ids = { running: [] as string[], pending: [] as string[] };
    // Due in 30 minutes: the stack's own sweeper (every second) leaves them alone; this run looks an hour ahead.
    for (const status of ['running', 'running', 'running', 'pending', 'pending', 'pending'] as const) ids[status].push(await orphan(status, 1800));
    await sweepOpenTasks({ now: Date.now() + 3_600_000, deadline: Date.now() + 60_000 });
    const described = stack.stepFunctions.requests.filter((r) => r.operation === 'DescribeExecution').map((r) => r.name);
    const firstCheck = (id: string) => described.indexOf(id);
    for (const id of [...ids.running, ...ids.pending]) expect(firstCheck(id), id).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids.pending.map(firstCheck))).toBeLessThan(Math.min(...ids.running.map(firstCheck)));
  });
});

describe('bounded runs', () => {
  it('a run out of time stops before its first task and leaves everything due', async () => {
    const { sweepOpenTasks } = await import('#service/sweep');
    await orphan('running');
    const report = await sweepOpenTasks({ now: Date.now(), deadline: Date.now() });
    expect(report).toMatchObject({ examined: 0, truncated: true });
  });
});

describe('cancel that sticks', () => {
  it('a StopExecution that failed is done by the sweeper, and the task leaves the open-task index', async () => {
    const id = await submit('sleep', { seconds: 60 });
    await waitFor(id, (t) => t.status === 'running');
    stack.stepFunctions.faults.failNextRequest('StopExecution');
    const cancelled = await api('DELETE', `/tasks/${id}`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    // Every SDK attempt of the DELETE's StopExecution reached the endpoint and failed.
    expect(stopsOf(id)).toBeGreaterThanOrEqual(3);
    // The sweeper stops it and closes the task.
    const deadline = Date.now() + 30_000;
    while ((await getTask(id))?.openShard !== undefined) {
      if (Date.now() > deadline) throw new Error('still open');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stack.stepFunctions.getExecutionStats(id)?.status).toBe('ABORTED');
    expect((await api('GET', `/tasks/${id}`)).body.status).toBe('cancelled');
  });

  it('a second DELETE of a cancelled task still open calls StopExecution again', async () => {
    const id = await submit('sleep', { seconds: 60 });
    // Only the two DELETEs may call StopExecution: the sweeper's next look at the task is put off
    // (on a busy machine the first DELETE's failing attempts outlast the 2-s sweep age).
    await dynamodb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { id },
        UpdateExpression: 'SET sweepAt = :later',
        ExpressionAttributeValues: { ':later': new Date(Date.now() + 120_000).toISOString() },
      }),
    );
    stack.stepFunctions.faults.failNextRequest('StopExecution');
    expect((await api('DELETE', `/tasks/${id}`)).status).toBe(200);
    const failedStops = stopsOf(id);
    const again = await api('DELETE', `/tasks/${id}`);
    expect(again).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    expect(stopsOf(id)).toBeGreaterThan(failedStops);
    expect(stack.stepFunctions.getExecutionStats(id)?.status).toBe('ABORTED');
  });
});
