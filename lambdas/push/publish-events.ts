// DynamoDB stream (new tasks and status changes; the mapping's filter) --> EventBridge bus, detail-type task.submitted | task.<status>
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { eventbridge } from '#clients/eventbridge';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import type { TaskStatus } from '#domain/task';
import { pushConfig, requiredEnv } from '#push/config';
import { newTask } from '#push/stream';
import { logger } from '#service/logger';

const EVENT_BUS_NAME = requiredEnv('EVENT_BUS_NAME');
const EVENT_SOURCE = requiredEnv('EVENT_SOURCE');
const PUT_EVENTS_BATCH = 10;

/** `task.submitted` for a new task, `task.<status>` for every later transition. */
function eventType(eventName: string | undefined, status: TaskStatus): string {
  return eventName === 'INSERT' ? 'task.submitted' : `task.${status}`;
}

/**
 * One event per transition: `detail-type` `task.<status>`, detail = the representation plus the
 * owner (servers subscribe per owner with a rule). The result stays behind `links.result`.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const entries: Array<PutEventsRequestEntry & { index: number }> = event.Records.flatMap((record, index) => {
    const task = newTask(record);
    if (!task) return [];
    const detail = { ...toRepresentation(task, pushConfig.basePath, config.retentionSeconds), owner: task.owner };
    return [
      {
        index,
        EventBusName: EVENT_BUS_NAME,
        Source: EVENT_SOURCE,
        DetailType: eventType(record.eventName, task.status),
        Detail: JSON.stringify(detail),
        Time: new Date(task.updatedAt),
      },
    ];
  });
  const failed: number[] = [];
  for (let i = 0; i < entries.length; i += PUT_EVENTS_BATCH) {
    const chunk = entries.slice(i, i + PUT_EVENTS_BATCH);
    try {
      const result = await eventbridge.send(new PutEventsCommand({ Entries: chunk.map(({ index: _index, ...entry }) => entry) }));
      result.Entries?.forEach((entry, j) => {
        if (entry.ErrorCode) failed.push(chunk[j]!.index);
      });
    } catch (error) {
      logger.error('PutEvents failed', { error: error as Error });
      failed.push(...chunk.map((e) => e.index));
    }
  }
  // Stream batches are ordered: reporting the earliest failure retries it and everything after.
  if (failed.length === 0) return { batchItemFailures: [] };
  return { batchItemFailures: [{ itemIdentifier: event.Records[Math.min(...failed)]!.dynamodb?.SequenceNumber ?? '' }] };
}
