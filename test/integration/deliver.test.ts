/**
 * The delivery use case and the stream forwarder, in process against DynamoDB Local: idempotence
 * per message, 410 is final, a redriven message gets one more attempt, nothing a receiver answers
 * (nor the URL, nor the secret) reaches a log; a failed queue send reports the first record.
 * Rows are written straight into the table as INSERTs of finished tasks, which no stream filter
 * passes, so the running local stack leaves them to this test.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqs } from '#clients/sqs';
import { logger } from '#observability/logger';
import { handler as deliverHandler } from '#push/deliver-webhook';
import { handler as forward } from '#push/forward-terminal';
import { deliver } from '#service/webhook-delivery';
import { getOrCreateSecret } from '#store/webhook-secret-store';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const stack = useLocalStackEnv();
process.env.ALLOW_LOOPBACK_CALLBACKS = '1';
logger.setLogLevel('DEBUG');
process.env.WEBHOOK_QUEUE_URL = `${stack.sqsEndpoint}/000000000000/NotARealQueue`;
process.env.AWS_ENDPOINT_URL_SQS = stack.sqsEndpoint;

const RECEIVER_SECRET = `receiver-says-${crypto.randomUUID()}`;
let logs = '';
const receiver = new WebhookReceiver();
beforeAll(async () => {
  await receiver.start();
  const capture = (...args: unknown[]) => {
    logs += `${args.map((a) => (typeof a === 'string' ? a : a instanceof Uint8Array ? Buffer.from(a).toString() : JSON.stringify(a))).join(' ')}\n`;
  };
  for (const s of [process.stdout, process.stderr])
    vi.spyOn(s, 'write').mockImplementation(((chunk: unknown) => {
      capture(chunk);
      return true;
    }) as never);
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, level).mockImplementation(capture);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await receiver.stop();
});

async function finishedTask(extra: Record<string, unknown> = {}) {
  const caller = newCaller();
  const task = await putRow({
    owner: caller.owner,
    type: 'fail',
    status: 'failed',
    completedAt: new Date().toISOString(),
    error: JSON.stringify({ Error: 'TaskFailed', Cause: 'x' }),
    callbackUrl: `${receiver.url}?token=${RECEIVER_SECRET}`,
    version: 3,
    ...extra,
  });
  return { task, caller, message: { taskId: task.id, version: 3 } };
}

describe('deliver', () => {
  it('posts once, records delivered; the same message again is skipped', async () => {
    receiver.respond = () => ({ status: 200, headers: { 'x-echo': RECEIVER_SECRET }, body: `{"error":"${RECEIVER_SECRET}"}` });
    const { task, message } = await finishedTask();
    expect(await deliver(message)).toMatchObject({ action: 'done', state: { status: 'delivered', attempts: 1, lastStatusCode: 200 } });
    expect(await deliver(message)).toMatchObject({ action: 'skip' });
    expect(receiver.forTask(task.id)).toHaveLength(1);
    const row = await getRow(task.id);
    expect(row?.callback).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(row?.version).toBe(4);
    expect(row?.updatedAt).toBe(task.updatedAt);
  });

  it('410 is final: a later copy of the message is skipped', async () => {
    receiver.respond = () => ({ status: 410 });
    const { task, message } = await finishedTask();
    expect(await deliver(message)).toMatchObject({ action: 'done', state: { status: 'failed', lastStatusCode: 410 } });
    expect(await deliver(message)).toMatchObject({ action: 'skip' });
    expect(receiver.forTask(task.id)).toHaveLength(1);
  });

  it('a callback failed after its schedule gets one more attempt when its message is redriven', async () => {
    receiver.respond = () => ({ status: 204 });
    const { message } = await finishedTask({ callback: { status: 'failed', attempts: 8, lastStatusCode: 500 } });
    expect(await deliver(message)).toMatchObject({ action: 'done', state: { status: 'delivered', attempts: 9 } });
  });

  it('a task that is not terminal, or has no callback, is skipped without a request', async () => {
    const before = receiver.requests.length;
    const caller = newCaller();
    const running = await putRow({ owner: caller.owner, status: 'running', callbackUrl: receiver.url });
    const noCallback = await putRow({ owner: caller.owner, status: 'succeeded' });
    expect(await deliver({ taskId: running.id, version: 1 })).toMatchObject({ action: 'skip' });
    expect(await deliver({ taskId: noCallback.id, version: 1 })).toMatchObject({ action: 'skip' });
    expect(await deliver({ taskId: crypto.randomUUID(), version: 1 })).toMatchObject({ action: 'skip' });
    expect(receiver.requests.length).toBe(before);
  });

  it('logs the attempt (task id, status code) but never the URL, the answer or the secret', async () => {
    receiver.respond = () => ({ status: 500, headers: { 'retry-after': '1' }, body: RECEIVER_SECRET.repeat(100) });
    const { caller, message } = await finishedTask();
    expect(await deliver(message)).toMatchObject({ action: 'retry', state: { status: 'pending', attempts: 1, lastStatusCode: 500 } });
    const secret = (await getOrCreateSecret(caller.owner)).secret;
    expect(logs).toContain(message.taskId);
    expect(logs).not.toContain(RECEIVER_SECRET);
    expect(logs).not.toContain(secret.slice(6));
    expect(logs).not.toContain(`127.0.0.1:${receiver.port}`);
  });
});

describe('events before the outcome', () => {
  async function runningTask(extra: Record<string, unknown> = {}) {
    const caller = newCaller();
    return putRow({
      owner: caller.owner,
      status: 'running',
      startedAt: new Date().toISOString(),
      progress: { percent: 30 },
      callbackUrl: receiver.url,
      callbackEvents: ['started', 'progress', 'input_required', 'completed'],
      version: 5,
      ...extra,
    });
  }
  const typesFor = (id: string) => receiver.forTask(id).map((r) => JSON.parse(r.body).type as string);

  it('task.progress: sent at once, then a newer one waits for the slot (5 s), an older one is dropped, never retried', async () => {
    receiver.respond = () => ({ status: 204 });
    const task = await runningTask();
    expect(await deliver({ taskId: task.id, version: 5, event: 'task.progress' })).toMatchObject({ action: 'done', state: { status: 'delivered' } });
    const row = await getRow(task.id);
    expect(row?.progressEvent).toMatchObject({ version: 5 });
    expect(row?.callback).toMatchObject({ status: 'delivered', attempts: 1, event: 'task.progress' });
    await putRow({ ...row!, version: 6, progress: { percent: 60 } });
    const later = await deliver({ taskId: task.id, version: 6, event: 'task.progress' });
    expect(later).toMatchObject({ action: 'wait' });
    expect((later as { dueInSeconds: number }).dueInSeconds).toBeGreaterThanOrEqual(1);
    expect((later as { dueInSeconds: number }).dueInSeconds).toBeLessThanOrEqual(5);
    expect(await deliver({ taskId: task.id, version: 5, event: 'task.progress' })).toMatchObject({ action: 'skip' });
    expect(typesFor(task.id)).toEqual(['task.progress']);
    // A receiver that fails a progress event: done with, not retried.
    receiver.respond = () => ({ status: 500 });
    const other = await runningTask();
    expect(await deliver({ taskId: other.id, version: 5, event: 'task.progress' })).toMatchObject({ action: 'done', state: { status: 'failed' } });
  });

  it('the delivery state follows the newest event: an older event stops once a newer one was attempted; one for a task that moved on is dropped', async () => {
    receiver.respond = () => ({ status: 500 });
    const task = await runningTask({ awaitingInput: { name: 'approval', since: new Date().toISOString() } });
    expect(await deliver({ taskId: task.id, version: 5, event: 'task.input_required' })).toMatchObject({ action: 'retry' });
    receiver.respond = () => ({ status: 204 });
    const finished = { ...(await getRow(task.id))!, status: 'succeeded' as const, completedAt: new Date().toISOString(), version: 9 };
    await putRow(finished);
    expect(await deliver({ taskId: task.id, version: 9 })).toMatchObject({ action: 'done', state: { status: 'delivered' } });
    expect((await getRow(task.id))?.callback).toMatchObject({ status: 'delivered', event: 'task.succeeded', attempts: 1 });
    // The input_required retry comes back: the task moved on.
    expect(await deliver({ taskId: task.id, version: 5, event: 'task.input_required' })).toMatchObject({ action: 'skip' });
    expect(typesFor(task.id)).toEqual(['task.input_required', 'task.succeeded']);
    // Two events of one write: each its own webhook-id.
    const ids = receiver.forTask(task.id).map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([`msg_${task.id}_5_input_required`, `msg_${task.id}_9`]);
  });
});

describe('deliver: no receiver can park its delivery', () => {
  it('Retry-After: 999999 is honoured for an hour at most (callback.nextAttemptAt)', async () => {
    receiver.respond = () => ({ status: 503, headers: { 'retry-after': '999999' } });
    const { task, message } = await finishedTask();
    const before = Date.now();
    const step = await deliver(message);
    expect(step).toMatchObject({ action: 'retry', state: { status: 'pending', attempts: 1, lastStatusCode: 503 } });
    const next = Date.parse((await getRow(task.id))!.callback!.nextAttemptAt!);
    expect(next - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(next - Date.now()).toBeLessThanOrEqual(3_600_000 + 1000);
  });

  it('the message for the next attempt, arriving early, is sent on; a stale copy is dropped; neither posts', async () => {
    receiver.respond = () => ({ status: 500 });
    const { task, message } = await finishedTask();
    expect(await deliver(message)).toMatchObject({ action: 'retry', state: { attempts: 1 } });
    const before = receiver.forTask(task.id).length;
    const early = await deliver({ ...message, attempts: 1 });
    expect(early).toMatchObject({ action: 'wait', attempts: 1 });
    expect((early as { dueInSeconds: number }).dueInSeconds).toBeGreaterThan(0);
    // A copy of the first message (SQS delivers at least once) is behind the task: dropped.
    expect(await deliver(message)).toMatchObject({ action: 'skip', why: expect.stringContaining('superseded') });
    expect(receiver.forTask(task.id)).toHaveLength(before);
  });

  it('an address refused at dial time is final: callback failed with the reason, no retry, never attempted again', async () => {
    const { task, message } = await finishedTask({ callbackUrl: 'https://hooks.example.com/in' });
    // DNS that answers with a private address: the dial-time guard refuses it before any byte is sent.
    const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
      options?.all ? callback(null, [{ address: '10.0.0.7', family: 4 }]) : callback(null, '10.0.0.7', 4)) as never;
    expect(await deliver(message, { lookup })).toMatchObject({ action: 'done', state: { status: 'failed', attempts: 1, reason: 'blocked-address' } });
    expect((await getRow(task.id))?.callback).toMatchObject({ status: 'failed', reason: 'blocked-address' });
    expect(await deliver(message, { lookup })).toMatchObject({ action: 'skip' });
  });

  it('the handler sends the next attempt on as a message delayed 15 minutes at most, and never changes a visibility', async () => {
    receiver.respond = () => ({ status: 503, headers: { 'retry-after': '999999' } });
    const { message } = await finishedTask();
    // Observe what the handler asks of SQS (the queue URL of this test is not a real queue).
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const send = vi.spyOn(sqs, 'send').mockImplementation((async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return {};
    }) as never);
    try {
      const record = { messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify(message) };
      expect(await deliverHandler({ Records: [record] } as never)).toEqual({ batchItemFailures: [] });
      expect(await deliverHandler({ Records: [{ ...record, body: sent[0]!.input.MessageBody as string }] } as never)).toEqual({
        batchItemFailures: [],
      });
    } finally {
      send.mockRestore();
    }
    expect(sent.map((c) => c.name)).toEqual(['SendMessageCommand', 'SendMessageCommand']);
    for (const command of sent) {
      expect(command.input.DelaySeconds).toBe(900);
      expect(JSON.parse(command.input.MessageBody as string)).toEqual({ ...message, attempts: 1 });
    }
  });
});

describe('forward-terminal', () => {
  it('queues one message per event of a write: the outcome, task.running and task.progress of a first report', () => {
    const image = (status: string, percent: number, version: number) => ({
      id: { S: 't1' },
      owner: { S: 'key:x' },
      status: { S: status },
      version: { N: String(version) },
      progress: { M: { percent: { N: String(percent) } } },
      callbackUrl: { S: 'https://example.com/h' },
      callbackEvents: { L: [{ S: 'started' }, { S: 'progress' }, { S: 'completed' }] },
    });
    const send = vi.spyOn(sqs, 'send').mockImplementation((async () => ({ Failed: [] })) as never);
    return forward({
      Records: [
        { eventName: 'MODIFY', dynamodb: { SequenceNumber: '1', OldImage: image('pending', 0, 1), NewImage: image('running', 25, 2) } },
        { eventName: 'MODIFY', dynamodb: { SequenceNumber: '2', OldImage: image('running', 25, 2), NewImage: image('running', 25, 3) } },
        { eventName: 'MODIFY', dynamodb: { SequenceNumber: '3', OldImage: image('running', 25, 3), NewImage: image('succeeded', 100, 4) } },
      ],
    } as never).then((answer) => {
      expect(answer).toEqual({ batchItemFailures: [] });
      const input = (send.mock.calls[0]![0] as { input: { Entries: Array<{ MessageBody: string }> } }).input;
      expect(input.Entries.map((e) => JSON.parse(e.MessageBody))).toEqual([
        { taskId: 't1', version: 2, event: 'task.running' },
        { taskId: 't1', version: 2, event: 'task.progress' },
        { taskId: 't1', version: 4 },
      ]);
      send.mockRestore();
    });
  });

  it('queues { taskId, version } per outcome; a failed send reports the first record, so Lambda retries from it', async () => {
    const record = (id: string, seq: string) => ({
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: seq,
        OldImage: {
          id: { S: id },
          owner: { S: 'key:x' },
          status: { S: 'running' },
          version: { N: '2' },
          callbackUrl: { S: 'https://example.com/h' },
        },
        NewImage: { id: { S: id }, owner: { S: 'key:x' }, status: { S: 'failed' }, version: { N: '3' }, callbackUrl: { S: 'https://example.com/h' } },
      },
    });
    const send = vi.spyOn(sqs, 'send').mockImplementationOnce((async () => {
      throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    }) as never);
    const failed = await forward({ Records: [record('a', '100'), record('b', '200')] } as never);
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    const input = (send.mock.calls[0]![0] as { input: { Entries: Array<{ MessageBody: string }> } }).input;
    expect(input.Entries.map((e) => JSON.parse(e.MessageBody))).toEqual([
      { taskId: 'a', version: 3 },
      { taskId: 'b', version: 3 },
    ]);
    send.mockRestore();
  });
});
