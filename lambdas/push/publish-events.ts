// DynamoDB stream (new tasks and status changes; the mapping's filter) --> EventBridge bus, detail-type task.submitted | task.<status>
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventbridge } from '#clients/eventbridge';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import type { TaskStatus } from '#domain/task';
import { newTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const PUT_EVENTS_BATCH = 10;

/** `task.submitted` for a new task, `task.<status>` for every later transition. */
function eventType(eventName: string | undefined, status: TaskStatus): string {
  return eventName === 'INSERT' ? 'task.submitted' : `task.${status}`;
}

/** detail = the representation plus the owner (servers subscribe per owner with a rule); the result stays behind `links.result`. */
function toEvent(record: DynamoDBRecord): PutEventsRequestEntry | undefined {
  const task = newTask(record);
  if (!task) return undefined;
  return {
    EventBusName: config.eventBusName,
    Source: config.eventSource,
    DetailType: eventType(record.eventName, task.status),
    Detail: JSON.stringify({ ...toRepresentation(task, config.apiBaseUrl, config.retentionSeconds), owner: task.owner }),
    Time: new Date(task.updatedAt),
  };
}

/** One event per transition, `detail-type` `task.<status>`. */
export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return forwardRecords(
    event,
    toEvent,
    PUT_EVENTS_BATCH,
    async (entries) => {
      const result = await eventbridge.send(new PutEventsCommand({ Entries: entries }));
      return (result.Entries ?? []).flatMap((entry, position) => (entry.ErrorCode ? [position] : []));
    },
    'PutEvents',
  );
}
