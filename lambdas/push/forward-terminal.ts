// DynamoDB stream (terminal transitions with a callbackUrl; the mapping's filter) --> SQS, one message per event
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { sqs } from '#clients/sqs';
import { config } from '#config';
import type { DeliveryMessage } from '#domain/webhook';
import { newTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const SQS_BATCH = 10;

/**
 * Queues a delivery for each record. The message is only `{ taskId, version }`: the delivery
 * function reads the task itself, so results of any size never pass through SQS (delivery is
 * idempotent per webhook-id, so a repeated message is harmless).
 */
export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return forwardRecords(
    event,
    (record) => {
      const task = newTask(record);
      return task ? JSON.stringify({ taskId: task.id, version: task.version } satisfies DeliveryMessage) : undefined;
    },
    SQS_BATCH,
    async (bodies) => {
      const result = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: config.webhookQueueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }),
      );
      return (result.Failed ?? []).map((failure) => Number(failure.Id));
    },
    'webhook queue send',
  );
}
