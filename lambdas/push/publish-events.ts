// DynamoDB stream (new tasks, status changes and writes of running tasks; the mapping's filters) --> EventBridge bus, detail-type task.submitted | task.running | task.progress | task.input_required | task.<outcome> | task.retried
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventbridge } from '#clients/eventbridge';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import { busEventTypes } from '#domain/task-events';
import { newTask, oldTask } from '#push/stream';
import { forwardRecords } from '#push/stream-batch';

const PUT_EVENTS_BATCH = 10;

/**
 * detail = the representation plus the owner (servers subscribe per owner with a rule); the result
 * stays behind `links.result`, and an awaited input's capability URL is left out (the bus is shared).
 */
function toEvents(record: DynamoDBRecord): PutEventsRequestEntry[] {
  const task = newTask(record);
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

/** The events of each write (see `busEventTypes`). */
export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return forwardRecords(
    event,
    toEvents,
    PUT_EVENTS_BATCH,
    async (entries) => {
      const result = await eventbridge.send(new PutEventsCommand({ Entries: entries }));
      return (result.Entries ?? []).flatMap((entry, position) => (entry.ErrorCode ? [position] : []));
    },
    'PutEvents',
  );
}
