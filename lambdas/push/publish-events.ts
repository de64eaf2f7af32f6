// DynamoDB stream (new tasks and status changes; with the live channel also followed tasks' other writes) --> EventBridge bus,
// detail-type task.submitted | task.<status>; with the live channel, every visible change --> its followers (#live/stream-changes)
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventbridge } from '#clients/eventbridge';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import type { TaskStatus } from '#domain/task';
import { fanOutRecords } from '#live/stream-changes';
import { newTask, oldTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const PUT_EVENTS_BATCH = 10;

/** `task.submitted` for a new task, `task.<status>` for every later transition. */
function eventType(eventName: string | undefined, status: TaskStatus): string {
  return eventName === 'INSERT' ? 'task.submitted' : `task.${status}`;
}

/** detail = the representation plus the owner (servers subscribe per owner with a rule); the result stays behind `links.result`. */
function toEvent(record: DynamoDBRecord): PutEventsRequestEntry | undefined {
  const task = newTask(record);
  // A new task or a transition; the live channel's progress writes pass the mapping too, never the bus.
  if (!task || (record.eventName !== 'INSERT' && oldTask(record)?.status === task.status)) return undefined;
  return {
    EventBusName: config.eventBusName,
    Source: config.eventSource,
    DetailType: eventType(record.eventName, task.status),
    Detail: JSON.stringify({ ...toRepresentation(task, config.apiBaseUrl, config.retentionSeconds), owner: task.owner }),
    Time: new Date(task.updatedAt),
  };
}

/** One event per transition, `detail-type` `task.<status>`; then the live channel's messages. */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const published = await forwardRecords(
    event,
    toEvent,
    PUT_EVENTS_BATCH,
    async (entries) => {
      const result = await eventbridge.send(new PutEventsCommand({ Entries: entries }));
      return (result.Entries ?? []).flatMap((entry, position) => (entry.ErrorCode ? [position] : []));
    },
    'PutEvents',
  );
  if (!config.liveEnabled) return published;
  // Either failure retries the batch from the earlier record (both sides are at-least-once; followers drop repeated versions).
  const live = await fanOutRecords(event);
  const failedAt = published.batchItemFailures[0]?.itemIdentifier;
  const liveAt = live === undefined ? undefined : event.Records[live]?.dynamodb?.SequenceNumber;
  if (liveAt === undefined) return published;
  const position = (sequence: string | undefined) => event.Records.findIndex((r) => r.dynamodb?.SequenceNumber === sequence);
  const earliest = failedAt === undefined || position(liveAt) < position(failedAt) ? liveAt : failedAt;
  return { batchItemFailures: [{ itemIdentifier: earliest }] };
}
