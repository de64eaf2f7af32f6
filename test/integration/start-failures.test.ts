/** Submit when StartExecution fails: 503 only when a retry can help, never 202 for a replay that did not start, 413 before anything is written. */

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { sfn } from '#clients/sfn';
import { handler } from '#http/submit-task';
import { submitTask } from '#service/submit-task';
import { apiEvent, invoke } from '../support/api-event.ts';
import { newCaller, rowsOf } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': 'start-failures' };
const body = JSON.stringify({ type: 'sleep', input: { seconds: 1 } });
const submit = (apiKeyId: string) => invoke(handler, apiEvent({ method: 'POST', resource: '/tasks', headers, body, apiKeyId }));
const sdkError = (name: string, fault: 'client' | 'server', status: number) =>
  Object.assign(new Error(`${name} for arn:aws:states:...`), { name, $fault: fault, $metadata: { httpStatusCode: status } });

afterEach(() => vi.restoreAllMocks());

describe('StartExecution failing', () => {
  it('a replay of a task whose start failed answers 503 with Retry-After, not 202; the next replay starts it', async () => {
    const caller = newCaller();
    // The first request wrote the task and "started" it, but no execution exists (it died in between).
    vi.spyOn(sfn, 'send').mockResolvedValueOnce({} as never);
    const first = await submit(caller.apiKeyId);
    expect(first.status).toBe(202);
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(sdkError('ThrottlingException', 'client', 400));
    const replay = await submit(caller.apiKeyId);
    expect(replay.status).toBe(503);
    expect(replay.headers['retry-after']).toBe('1');
    expect(JSON.stringify(replay.body)).not.toMatch(/arn:|Throttling/);
    vi.restoreAllMocks();
    const again = await submit(caller.apiKeyId);
    expect(again.status).toBe(202);
    expect(again.body!.id).toBe(first.body!.id);
  });

  it.each([
    ['StateMachineDoesNotExist', 400],
    ['StateMachineDeleting', 400],
    ['InvalidExecutionInput', 400],
    ['AccessDeniedException', 403],
  ])('%s (retrying cannot fix it) answers a 500 bug, not a 503 forever; the task is closed', async (name, status) => {
    const caller = newCaller();
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(sdkError(name, 'client', status));
    const response = await submit(caller.apiKeyId);
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ type: 'https://longrun.dev/problems/internal-error' });
    const [row] = await rowsOf(caller.owner);
    expect(row).toMatchObject({ status: 'failed' });
    expect(row!.openShard).toBeUndefined();
  });

  it('without an Idempotency-Key, a start that may have taken effect is accepted (202): the task stays pending for the sweeper, not failed', async () => {
    const caller = newCaller();
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(sdkError('ThrottlingException', 'client', 400));
    const keyless = { 'Content-Type': 'application/json' };
    const response = await invoke(handler, apiEvent({ method: 'POST', resource: '/tasks', headers: keyless, body, apiKeyId: caller.apiKeyId }));
    expect(response.status).toBe(202);
    const [row] = await rowsOf(caller.owner);
    expect(row).toMatchObject({ id: response.body!.id, status: 'pending' });
    // Still in the open-task index: the sweeper will start it (or find the execution that did start).
    expect(row!.openShard).toBeDefined();
  });

  it('a 5xx from Step Functions answers 503', async () => {
    const caller = newCaller();
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(sdkError('InternalFailure', 'server', 500));
    expect((await submit(caller.apiKeyId)).status).toBe(503);
  });
});

describe('execution input size', () => {
  it('an input that fits the body limit but not, with its envelope, the execution input limit: 413, nothing written', async () => {
    const caller = newCaller();
    const message = 'x'.repeat(256 * 1024 - 40);
    expect(Buffer.byteLength(JSON.stringify({ type: 'fail', input: { message } }))).toBeLessThanOrEqual(256 * 1024);
    const send = vi.spyOn(sfn, 'send');
    await expect(submitTask(caller.owner, { type: 'fail', input: { message } })).rejects.toMatchObject({
      status: 413,
      type: 'https://longrun.dev/problems/payload-too-large',
    });
    expect(send).not.toHaveBeenCalled();
    expect(await rowsOf(caller.owner)).toEqual([]);
  });
});

describe('the open-task index', () => {
  it('a new task is in it; its terminal transition takes it out', async () => {
    const caller = newCaller();
    const response = await submit(caller.apiKeyId);
    const [row] = await rowsOf(caller.owner);
    expect(row).toMatchObject({ id: response.body!.id, openShard: expect.any(Number), sweepAt: row!.createdAt });
  });
});

describe('two requests racing with one Idempotency-Key', () => {
  /** DynamoDB's answer to a transaction that collided with another one on the same item. */
  const conflict = () =>
    new TransactionCanceledException({
      message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
      $metadata: {},
      CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
    });

  it('the loser of the race tries once more and gets through (here: creates, as the winner never committed)', async () => {
    const caller = newCaller();
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(conflict() as never);
    const response = await submit(caller.apiKeyId);
    expect(response.status).toBe(202);
    expect(await rowsOf(caller.owner)).toHaveLength(1);
  });

  it('still racing after the wait: 503 with Retry-After, never a 500; nothing written', async () => {
    const caller = newCaller();
    vi.spyOn(dynamodb, 'send')
      .mockRejectedValueOnce(conflict() as never)
      .mockRejectedValueOnce(conflict() as never);
    const response = await submit(caller.apiKeyId);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    vi.restoreAllMocks();
    expect(await rowsOf(caller.owner)).toEqual([]);
  });
});
