// DynamoDB stream (new tasks and every write to an open task; the mapping's filter) --> fanOut --> PostToConnection to each follower
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { TaskWrite } from '#domain/live';
import { logger } from '#observability/logger';
import { newTask, oldTask } from '#push/stream';
import { fanOut } from '#service/live-fanout';

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const writes: Array<TaskWrite & { record: number }> = event.Records.flatMap((record, position) => {
    const task = newTask(record);
    const previous = oldTask(record);
    return task ? [{ task, ...(previous && { previous }), record: position }] : [];
  });
  const failAt = (position: number): DynamoDBBatchResponse => ({
    batchItemFailures: [{ itemIdentifier: event.Records[position]?.dynamodb?.SequenceNumber ?? '' }],
  });
  try {
    const { retryFrom } = await fanOut(writes);
    return retryFrom === undefined ? { batchItemFailures: [] } : failAt(writes[retryFrom]!.record);
  } catch (error) {
    logger.error('Live fan-out failed; the batch is retried', { error: error as Error });
    return writes.length > 0 ? failAt(writes[0]!.record) : { batchItemFailures: [] };
  }
}
