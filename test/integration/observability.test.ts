/**
 * Business metrics and log context, as the handlers write them: Powertools writes EMF records and
 * log lines to stdout, captured here. Real DynamoDB Local and the local Step Functions endpoint;
 * a stub only where a fault is injected (StartExecution, GetItem).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { sfn } from '#clients/sfn';
import { handler as getTask } from '#http/get-task';
import { handler as list } from '#http/list-tasks';
import { handler as submit } from '#http/submit-task';
import { logger } from '#observability/logger';
import { handler as reconcile } from '#workflow/reconcile-execution';
import { apiEvent, invoke, lambdaContext } from '../support/api-event.ts';
import { newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

type Json = Record<string, any>;

let out = '';
beforeEach(() => {
  out = '';
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
      return true;
    }) as never);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

const lines = (): Json[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Json);
/** The EMF records in the capture, one per metric. */
const emf = () =>
  lines()
    .filter((l) => l._aws)
    .map((l) => {
      const directive = l._aws.CloudWatchMetrics[0];
      return {
        namespace: directive.Namespace,
        dimensions: directive.Dimensions,
        name: directive.Metrics[0].Name,
        unit: directive.Metrics[0].Unit,
        record: l,
      };
    });
const names = () => emf().map((m) => m.name);

const caller = newCaller();
const submitEvent = (type: string, input: Json) =>
  apiEvent({
    method: 'POST',
    resource: '/tasks',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type, input }),
    apiKeyId: caller.apiKeyId,
  });
const statusChange = (name: string, status: string, extra: Json = {}) =>
  ({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name, status, ...extra } }) as never;

describe('business metrics (EMF)', () => {
  it('a submit counts TaskSubmitted once, in namespace Longrun, by service and by service + type, never by owner or id', async () => {
    const response = await invoke(submit, submitEvent('sleep', { seconds: 1 }));
    expect(response.status).toBe(202);
    const [metric, ...rest] = emf();
    expect(rest).toEqual([]);
    expect(metric).toMatchObject({ namespace: 'Longrun', name: 'TaskSubmitted', unit: 'Count', dimensions: [['service', 'type'], ['service']] });
    expect(metric!.record).toMatchObject({ service: 'longrun', type: 'sleep', TaskSubmitted: 1 });
    const text = JSON.stringify(metric!.record);
    expect(text).not.toContain(response.body!.id);
    expect(text).not.toContain(caller.apiKeyId);
  });

  it('an idempotent replay counts nothing', async () => {
    const event = () => ({
      ...submitEvent('sleep', { seconds: 1 }),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `k-${crypto.randomUUID()}` },
    });
    const first = event();
    await invoke(submit, first);
    out = '';
    expect((await invoke(submit, first)).status).toBe(202);
    expect(names()).toEqual([]);
  });

  it('a StartExecution failure counts TaskStartFailed (and no TaskSubmitted)', async () => {
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(Object.assign(new Error('boom'), { name: 'StateMachineDoesNotExist', $fault: 'client' }) as never);
    expect((await invoke(submit, submitEvent('primes', { upTo: 10 }))).status).toBe(500);
    expect(names()).toEqual(['TaskStartFailed']);
    expect(emf()[0]!.record.type).toBe('primes');
  });

  it('a transient one without an Idempotency-Key counts TaskStartDeferred: the task is accepted and left to the sweeper', async () => {
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }) as never);
    expect((await invoke(submit, submitEvent('primes', { upTo: 10 }))).status).toBe(202);
    expect(names()).toEqual(['TaskStartDeferred']);
  });

  it('RUNNING counts a start; an end recorded by the workflow counts the outcome only', async () => {
    const row = await putRow({ owner: caller.owner, type: 'sleep' });
    await reconcile(statusChange(row.id, 'RUNNING'), lambdaContext);
    expect(names()).toEqual(['TaskStarted']);
    out = '';
    const done = await putRow({ owner: caller.owner, type: 'sleep', status: 'succeeded', completedAt: new Date().toISOString() });
    await reconcile(statusChange(done.id, 'SUCCEEDED', { output: '{}' }), lambdaContext);
    expect(names()).toEqual(['TaskSucceeded']);
    expect(emf()[0]!.record.type).toBe('sleep');
  });

  it.each([
    ['FAILED', 'TaskFailed'],
    ['TIMED_OUT', 'TaskFailed'],
    ['ABORTED', 'TaskCancelled'],
    ['SUCCEEDED', 'TaskSucceeded'],
  ])('an end the backstop records (%s) counts %s and TaskReconciledByBackstop', async (status, metric) => {
    const row = await putRow({ owner: caller.owner, type: 'primes', status: 'running' });
    await reconcile(statusChange(row.id, status, { output: '{"count":4}', stopDate: Date.now() }), lambdaContext);
    expect(names()).toEqual([metric, 'TaskReconciledByBackstop']);
    for (const m of emf()) expect(m.record.type).toBe('primes');
  });

  it("the owner's cancel, then ABORTED, counts TaskCancelled once", async () => {
    const row = await putRow({ owner: caller.owner, type: 'sleep', status: 'cancelled', completedAt: new Date().toISOString() });
    await reconcile(statusChange(row.id, 'ABORTED'), lambdaContext);
    expect(names()).toEqual(['TaskCancelled']);
  });

  it('an event for an execution that is not a task, or a task that is gone, counts nothing', async () => {
    await reconcile(statusChange('not-a-task', 'FAILED'), lambdaContext);
    await reconcile(statusChange('01a20752-2a80-7b5c-b49f-fd9e8ac00385', 'FAILED'), lambdaContext);
    expect(names()).toEqual([]);
  });
});

describe('log context', () => {
  it('every line of a route invocation carries the Lambda request id, the API request id and the task id', async () => {
    const row = await putRow({ owner: caller.owner });
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(new Error('unexpected') as never);
    const event = apiEvent({ method: 'GET', resource: '/tasks/{id}', pathParameters: { id: row.id }, apiKeyId: caller.apiKeyId });
    expect((await invoke(getTask, event)).status).toBe(500);
    const logged = lines().filter((l) => l.message);
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(line).toMatchObject({
        taskId: row.id,
        apiRequestId: event.requestContext.requestId,
        function_request_id: 'test',
        function_name: 'test',
      });
    }
  });

  it('the keys do not leak into the next invocation', async () => {
    const row = await putRow({ owner: caller.owner });
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(new Error('unexpected') as never);
    await invoke(getTask, apiEvent({ method: 'GET', resource: '/tasks/{id}', pathParameters: { id: row.id }, apiKeyId: caller.apiKeyId }));
    out = '';
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(new Error('unexpected') as never);
    expect((await invoke(list, apiEvent({ method: 'GET', resource: '/tasks', apiKeyId: caller.apiKeyId }))).status).toBe(500);
    const logged = lines().filter((l) => l.message);
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line.taskId).toBeUndefined();
  });

  it('a malformed id in the path is not logged as a task id', async () => {
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(new Error('unexpected') as never);
    await invoke(list, apiEvent({ method: 'GET', resource: '/tasks', pathParameters: { id: '<script>' }, apiKeyId: caller.apiKeyId }));
    for (const line of lines().filter((l) => l.message)) expect(line.taskId).toBeUndefined();
  });

  it('submit logs under the new task id; the backstop under the execution name', async () => {
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }) as never);
    await invoke(submit, submitEvent('sleep', { seconds: 1 }));
    const failed = lines().find((l) => l.message === 'StartExecution failed')!;
    expect(failed.taskId).toMatch(/^[0-9a-f-]{36}$/);
    out = '';
    // The test runs at WARN (vitest config); raise the backstop's info line to a level that prints.
    vi.spyOn(logger, 'info').mockImplementation((message, ...extra) => logger.warn(message as string, ...(extra as [])));
    const row = await putRow({ owner: caller.owner, status: 'running' });
    await reconcile(statusChange(row.id, 'FAILED'), lambdaContext);
    const reconciled = lines().filter((l) => l.message);
    expect(reconciled.map((l) => l.message)).toEqual(['Execution status reconciled']);
    expect(reconciled[0]).toMatchObject({ taskId: row.id, function_request_id: 'test' });
  });
});
