// DynamoDB stream (new tasks, status changes and writes of running tasks; with the live channel also followed tasks' other writes)
// --> EventBridge bus, detail-type task.submitted | task.running | task.progress | task.input_required | task.<outcome> | task.retried;
// with the live channel, every visible change --> its followers (#live/stream-changes)
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventbridge } from '#clients/eventbridge';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import { busEventTypes } from '#domain/task-events';
import { fanOutRecords } from '#live/stream-changes';
import { newTask, oldTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const PUT_EVENTS_BATCH = 10;

/**
 * detail = the representation plus the owner (servers subscribe per owner with a rule); the result
 * stays behind `links.result`, and an awaited input's capability URL is left out (the bus is shared).
 */
function toEvents(record: DynamoDBRecord): PutEventsRequestEntry[] {
  const task = newTask(record);
  // A write that makes no bus event (e.g. a followed task's write for the live channel only) publishes nothing.
  if (!task || task.purgedAt) return [];
  const before = record.eventName === 'INSERT' ? undefined : oldTask(record);
  const detail = JSON.stringify({ ...toRepresentation(task, config.apiBaseUrl, config.retentionSeconds), owner: task.owner });
  return busEventTypes(before, task).map((DetailType) => ({
    EventBusName: config.eventBusName,
    Source: config.eventSource,
    DetailType,
    Detail: detail,
    Time: new Date(task.updatedAt),
  }));
}

/** The events of each write (see `busEventTypes`); then the live channel's messages. */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const published = await forwardRecords(
    event,
    toEvents,
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
