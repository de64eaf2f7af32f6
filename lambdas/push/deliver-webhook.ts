// SQS (one message per terminal task) --> deliver (POST, record the attempt) --> retry by visibility / DLQ
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqs } from '#clients/sqs';
import { config } from '#config';
import { logger } from '#observability/logger';
import { deliver, isDeliveryMessage } from '#service/webhook-delivery';

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** True when the message is done with (delivered, given up, dead-lettered); false to see it again. */
async function handle(record: SQSRecord): Promise<boolean> {
  const message = parse(record.body);
  if (!isDeliveryMessage(message)) {
    await sqs.send(new SendMessageCommand({ QueueUrl: config.webhookDeadLetterQueueUrl, MessageBody: record.body }));
    return true;
  }
  const result = await deliver(message);
  if (result.action === 'retry') {
    // The Standard Webhooks schedule: the message comes back when the next attempt is due.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: config.webhookQueueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: result.delaySeconds,
      }),
    );
    return false;
  }
  if (result.action === 'dead-letter') {
    await sqs.send(new SendMessageCommand({ QueueUrl: config.webhookDeadLetterQueueUrl, MessageBody: record.body }));
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
