/**
 * The local SQS through the real SDK client: visibility, ChangeMessageVisibility,
 * batchItemFailures, redrive to the dead-letter queue.
 */
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../../test/support/http.ts';
import type { QueueDefinition } from '../../src/event-sources.ts';
import { LocalQueues, SqsPoller } from '../../src/local-queue.ts';

describe('the local SQS', () => {
  const definition = (name: string, extra: Partial<QueueDefinition> = {}): QueueDefinition => ({
    logicalId: name,
    name,
    arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    url: '',
    visibilityTimeoutSeconds: 1,
    ...extra,
  });
  const queues = new LocalQueues();
  let sqs: SQSClient;
  const url = (name: string) => `${queues.endpoint}/000000000000/${name}`;
  beforeAll(async () => {
    await queues.start();
    queues.register([definition('Main', { redrive: { deadLetterLogicalId: 'Dlq', maxReceiveCount: 2 } }), definition('Dlq'), definition('Fed')]);
    sqs = new SQSClient({ endpoint: queues.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  });
  afterAll(async () => {
    sqs.destroy();
    await queues.close();
  });

  it('send, receive (hidden for the visibility timeout), change visibility; the SDK checks the MD5s', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: url('Main'), MessageBody: 'one' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url('Main'), MaxNumberOfMessages: 10 }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(['one']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url('Main') }))).Messages).toEqual([]);
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url('Main'), ReceiptHandle: first.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url('Main') }));
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // Received twice (maxReceiveCount 2): the next receive moves it to the dead-letter queue.
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url('Main'), ReceiptHandle: again.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url('Main') }))).Messages).toEqual([]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url('Dlq') }))).Messages?.map((m) => m.Body)).toEqual(['one']);
  });

  it('an unknown queue or a stale receipt handle is an SQS error, not a crash', async () => {
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url('Nope'), MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url('Main'), ReceiptHandle: 'stale', VisibilityTimeout: 1 })),
    ).rejects.toMatchObject({
      name: 'ReceiptHandleIsInvalid',
    });
  });

  it('the poller deletes what succeeded and keeps what the function reported as failed', async () => {
    const queue = queues.get('Fed')!;
    const seen: string[] = [];
    const poller = new SqsPoller({
      queue,
      batchSize: 10,
      region: 'us-east-1',
      log: () => {},
      intervalMs: 20,
      invoke: async (event) => {
        const records = (event as { Records: Array<{ messageId: string; body: string }> }).Records;
        seen.push(...records.map((r) => r.body));
        return { batchItemFailures: records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    }).start();
    try {
      await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url('Fed'), Entries: ['good', 'bad', 'fine'].map((b, i) => ({ Id: String(i), MessageBody: b })) }),
      );
      for (let i = 0; i < 100 && seen.length < 3; i++) await sleep(20);
      expect(seen.sort()).toEqual(['bad', 'fine', 'good']);
      await sleep(100);
      expect(queue.messages.map((m) => m.body)).toEqual(['bad']);
    } finally {
      poller.stop();
    }
  });
});
