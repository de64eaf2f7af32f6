// DynamoDB stream (terminal transitions with a callbackUrl, and writes of running tasks subscribed to earlier events; the mapping's filter) --> SQS, one message per event
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sqs } from '#clients/sqs';
import { config } from '#config';
import { type DeliveryMessage, webhookEventsOf } from '#domain/webhook';
import { newTask, oldTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const SQS_BATCH = 10;

/** The deliveries one write causes: the outcome, and the subscribed events before it (see `webhookEventsOf`). */
function messagesOf(record: DynamoDBRecord): string[] {
  const task = newTask(record);
  if (!task) return [];
  return webhookEventsOf(oldTask(record), task).map((event) =>
    JSON.stringify({ taskId: task.id, version: task.version, ...(event !== 'outcome' && { event }) } satisfies DeliveryMessage),
  );
}

/**
 * Queues a delivery for each event. The message is only `{ taskId, version, event? }`: the delivery
 * function reads the task itself, so results of any size never pass through SQS (delivery is
 * idempotent per webhook-id, so a repeated message is harmless).
 */
export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return forwardRecords(
    event,
    messagesOf,
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
