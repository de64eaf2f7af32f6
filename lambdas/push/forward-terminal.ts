// DynamoDB stream (terminal transitions with a callbackUrl; the mapping's filter) --> SQS, one message per event
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { sqs } from '#clients/sqs';
import type { DeliveryMessage } from '#domain/webhook';
import { requiredEnv } from '#push/config';
import { newTask } from '#push/stream';
import { logger } from '#service/logger';

const QUEUE_URL = requiredEnv('WEBHOOK_QUEUE_URL');
const SQS_BATCH = 10;

/**
 * Queues a delivery for each record. The message is only `{ taskId, version }`: the delivery
 * function reads the task itself, so results of any size never pass through SQS. On a failed send
 * the first failed record is reported, and Lambda retries the batch from there (a repeated message
 * is harmless: delivery is idempotent per webhook-id).
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const entries = event.Records.flatMap((record, index) => {
    const task = newTask(record);
    if (!task) return [];
    const message: DeliveryMessage = { taskId: task.id, version: task.version };
    return [{ Id: String(index), MessageBody: JSON.stringify(message) }];
  });
  const failed: number[] = [];
  for (let i = 0; i < entries.length; i += SQS_BATCH) {
    const chunk = entries.slice(i, i + SQS_BATCH);
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: chunk.map(({ Id, MessageBody }) => ({ Id, MessageBody })) }),
      );
      for (const failure of result.Failed ?? []) failed.push(Number(failure.Id));
    } catch (error) {
      logger.error('webhook queue send failed', { error: error as Error });
      failed.push(...chunk.map((e) => Number(e.Id)));
    }
  }
  // Stream batches are ordered: reporting the earliest failure retries it and everything after.
  if (failed.length === 0) return { batchItemFailures: [] };
  return { batchItemFailures: [{ itemIdentifier: event.Records[Math.min(...failed)]!.dynamodb?.SequenceNumber ?? '' }] };
}
