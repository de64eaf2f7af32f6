/**
 * Express task types on the local stack (the demo's `quick` type runs on its Express state machine),
 * with the same answers as on Standard: a run to success, a cooperative cancel that a late finish
 * cannot overwrite, a failure with its message, and a timed-out or lost run recorded by the sweeper
 * from its deadline. Express sends no status events and cannot be described or stopped: nothing
 * here relies on them. An in-process stack of its own: Express timeout 4 s, Standard 8 s, the
 * sweeper every second on tasks older than 2 s, 1 s of grace past the Express timeout.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { apiKeyId, type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sfn } from '#clients/sfn';
import { newTaskId } from '#domain/ids';
import { openIndexAttributes } from '#domain/open-index';
import { getTask, putTask } from '#store/task-store';
import { useStackEnv } from '../support/handler-env.ts';
import { ownStackClient } from '../support/own-stack-client.ts';

const KEY = 'express-key';
const EXPRESS_TIMEOUT_SECONDS = 4;
let stack: LocalStack;

const { api, submit, waitFor } = ownStackClient(() => stack.baseUrl, KEY);

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const terminal = (t: any) => ['succeeded', 'failed', 'cancelled'].includes(t?.status);

/** Step Functions calls about the task's executions that Express does not have (DescribeExecution, StopExecution). */
const describedOrStopped = (id: string) =>
  stack.stepFunctions.requests.filter((r) => (r.operation === 'DescribeExecution' || r.operation === 'StopExecution') && r.name === id);

/** What a client compares: the status and the error as the API shows it (but its `instance`, the task's own URL). */
const answer = (t: any) => {
  const { instance, ...error } = t.error ?? {};
  expect(instance).toBe(`${stack.baseUrl}/tasks/${t.id}`);
  return { status: t.status, error };
};

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [KEY],
    timeoutSecondsOverride: 8,
    expressTimeoutSecondsOverride: EXPRESS_TIMEOUT_SECONDS,
    sweepIntervalSeconds: 1,
    sweepAgeSeconds: 2,
    environment: { EXPRESS_GRACE_SECONDS: '1' },
    log: () => {},
  });
  useStackEnv(stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('an Express task type', () => {
  it('runs to success on the Express state machine, recorded running and succeeded by the workflow itself', async () => {
    const id = await submit('quick', { upTo: 1000 });
    const task = await waitFor(id, terminal);
    expect(task.status).toBe('succeeded');
    expect((await api('GET', `/tasks/${id}/result`)).body).toEqual({ count: 168 });
    const history = (await api('GET', `/tasks/${id}/history`)).body;
    expect(JSON.stringify(history)).toContain('"started"');
    const runs = stack.stepFunctions.expressExecutions(id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.executionArn).toMatch(new RegExp(`:express:[^:]+:${id}:[0-9a-f-]{36}$`));
    expect(runs[0]!.byState).toMatchObject({ RecordRunning: 1, RecordSuccess: 1 });
    // Not on the Standard state machine, and never described nor stopped.
    expect(stack.stepFunctions.listExecutionNames()).not.toContain(id);
    expect(describedOrStopped(id)).toEqual([]);
    expect((await getTask(id))?.workflow).toBe('express');
  });

  it('is cancelled at once, answered as on Standard; its run goes on, and its late finish does not overwrite the cancel', async () => {
    const standard = await submit('sleep', { seconds: 60 });
    const id = await submit('quick', { seconds: 2 });
    await waitFor(standard, (t) => t.status === 'running');
    await waitFor(id, (t) => t.status === 'running');
    const onStandard = await api('DELETE', `/tasks/${standard}`);
    const onExpress = await api('DELETE', `/tasks/${id}`);
    expect(onExpress.status).toBe(onStandard.status);
    expect(answer(onExpress.body)).toEqual(answer(onStandard.body));
    expect(onExpress.body.status).toBe('cancelled');
    // The run finishes its wait, then RecordSuccess's condition fails: it ends at AlreadyFinished.
    const run = await stack.stepFunctions.waitForExecution(id);
    expect(run?.status).toBe('SUCCEEDED');
    expect(run?.byState).toMatchObject({ RecordSuccess: 1, AlreadyFinished: 1 });
    expect(answer((await api('GET', `/tasks/${id}`)).body)).toEqual(answer(onExpress.body));
    expect(describedOrStopped(id)).toEqual([]);
    // Once no run can be left (its timeout and the grace), the sweeper takes it out of the open-task index.
    await waitUntil('closed', async () => (await getTask(id))?.openShard === undefined);
    expect((await getTask(id))?.status).toBe('cancelled');
  });

  it('fails with its message, as on Standard (a Fail state sends no event on Express: the workflow records it)', async () => {
    const onStandard = await waitFor(await submit('fail', { message: 'no luck today' }), terminal);
    const id = await submit('quick', { message: 'no luck today' });
    const onExpress = await waitFor(id, terminal);
    expect(answer(onExpress)).toEqual(answer(onStandard));
    expect(onExpress).toMatchObject({ status: 'failed', error: { detail: 'no luck today' } });
    expect(stack.stepFunctions.expressExecutions(id)[0]!.byState).toMatchObject({ RecordFailure: 1 });
  });

  it('times out: the sweeper records it from its deadline, as Standard records a timeout', async () => {
    const standard = await submit('sleep', { seconds: 60 });
    const id = await submit('quick', { seconds: 60 });
    expect((await stack.stepFunctions.waitForExecution(id))?.status).toBe('TIMED_OUT');
    const onExpress = await waitFor(id, terminal);
    const onStandard = await waitFor(standard, terminal);
    expect(answer(onExpress)).toEqual(answer(onStandard));
    expect(onExpress).toMatchObject({ status: 'failed', error: { detail: 'The task exceeded its time limit.' } });
    expect(describedOrStopped(id)).toEqual([]);
    expect((await getTask(id))?.openShard).toBeUndefined();
  });

  it('a lost run (a running task with no execution) is recorded as timed out once its deadline passed; a pending one is started', async () => {
    const orphan = async (status: 'pending' | 'running') => {
      const at = new Date(Date.now() - 3_000).toISOString();
      const id = newTaskId();
      await putTask({
        id,
        owner: `key:${apiKeyId(KEY)}`,
        type: 'quick',
        status,
        input: JSON.stringify({ upTo: 1000 }),
        progress: { percent: 0 },
        createdAt: at,
        updatedAt: at,
        ...(status === 'running' && { startedAt: at }),
        attempt: 1,
        workflow: 'express',
        version: 1,
        ttl: Math.ceil(Date.now() / 1000) + 3600,
        ...openIndexAttributes(id, at),
      });
      return id;
    };
    const [lost, pending] = [await orphan('running'), await orphan('pending')];
    expect(await waitFor(lost, terminal)).toMatchObject({ status: 'failed', error: { detail: 'The task exceeded its time limit.' } });
    expect(stack.stepFunctions.expressExecutions(lost)).toEqual([]);
    expect((await waitFor(pending, terminal)).status).toBe('succeeded');
    expect(stack.stepFunctions.expressExecutions(pending).length).toBeGreaterThanOrEqual(1);
    expect([...describedOrStopped(lost), ...describedOrStopped(pending)]).toEqual([]);
  });
});

describe('steering an Express task', () => {
  it('a deadline (Cancel-After) fails it with deadline-exceeded, and stops nothing', async () => {
    const res = await fetch(`${stack.baseUrl}/tasks`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'Cancel-After': '2s' },
      body: JSON.stringify({ type: 'quick', input: { seconds: 60 } }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    const done = await waitFor(id, terminal);
    expect(done).toMatchObject({ status: 'failed', error: { type: 'https://longrun.dev/problems/deadline-exceeded' } });
    expect(describedOrStopped(id)).toEqual([]);
  });

  it('a retry runs its next attempt on the Express state machine', async () => {
    const id = await submit('quick', { message: 'first try' });
    await waitFor(id, terminal);
    const retried = await api('POST', `/tasks/${id}/retry`);
    expect(retried.status).toBe(202);
    const done = await waitFor(id, (t) => terminal(t) && t.attempt === 2);
    expect(done).toMatchObject({ status: 'failed', error: { detail: 'first try' } });
    expect(stack.stepFunctions.expressExecutions(`${id}-2`)).toHaveLength(1);
    expect(stack.stepFunctions.listExecutionNames().filter((name) => name.startsWith(id))).toEqual([]);
    expect(describedOrStopped(id)).toEqual([]);
  });
});

describe('the local Express state machine', () => {
  it('refuses DescribeExecution, StopExecution and ListExecutions as Step Functions does', async () => {
    const id = await submit('quick', { upTo: 100 });
    await waitFor(id, terminal);
    const run = stack.stepFunctions.expressExecutions(id)[0]!;
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(sfn.send(new StopExecutionCommand({ executionArn: run.executionArn }))).rejects.toMatchObject({ name: 'InvalidArn' });
    const machineArn = run.executionArn.replace(':express:', ':stateMachine:').split(':').slice(0, 7).join(':');
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn }))).rejects.toMatchObject({
      name: 'StateMachineTypeNotSupported',
    });
  });
});
