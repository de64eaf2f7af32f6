// SQS (one message per terminal task) --> deliver (POST, record the attempt) --> a delayed re-send for the next attempt / DLQ
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqs } from '#clients/sqs';
import { config } from '#config';
import { type DeliveryMessage, queueDelaySeconds } from '#domain/webhook';
import { logger } from '#observability/logger';
import { deliver, isDeliveryMessage } from '#service/webhook-delivery';

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * The message for the next attempt, delayed by at most 15 minutes: a longer wait is a chain of such
 * hops (the task's `callback.nextAttemptAt` says when the attempt is due). Never a visibility
 * change: a waiting delivery is a delayed message, not an in-flight one.
 */
async function sendOn(message: DeliveryMessage, attempts: number, dueInSeconds: number): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: config.webhookQueueUrl,
      MessageBody: JSON.stringify({ ...message, attempts } satisfies DeliveryMessage),
      DelaySeconds: queueDelaySeconds(dueInSeconds),
    }),
  );
}

/** True when the message is done with (delivered, sent on, given up, dead-lettered); false to see it again. */
async function handle(record: SQSRecord): Promise<boolean> {
  const message = parse(record.body);
  if (!isDeliveryMessage(message)) {
    await sqs.send(new SendMessageCommand({ QueueUrl: config.webhookDeadLetterQueueUrl, MessageBody: record.body }));
    return true;
  }
  const result = await deliver(message);
  if (result.action === 'retry') await sendOn(message, result.state.attempts, result.delaySeconds);
  if (result.action === 'wait') await sendOn(message, result.attempts, result.dueInSeconds);
  if (result.action === 'dead-letter') {
    // With the final count: redriven, it is the current message and gets one more attempt.
    const body = JSON.stringify({ ...message, attempts: result.state.attempts } satisfies DeliveryMessage);
    await sqs.send(new SendMessageCommand({ QueueUrl: config.webhookDeadLetterQueueUrl, MessageBody: body }));
  }
  return true;
}

/** Each message on its own: one slow or failing receiver never holds back another's delivery. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.all(
    event.Records.map(async (record) => {
      try {
        return (await handle(record)) ? undefined : record.messageId;
      } catch (error) {
        // DynamoDB or SQS trouble: the message comes back after the queue's visibility timeout.
        logger.error('webhook delivery failed', { messageId: record.messageId, error: error as Error });
        return record.messageId;
      }
    }),
  );
  return { batchItemFailures: results.filter((id): id is string => id !== undefined).map((itemIdentifier) => ({ itemIdentifier })) };
}
