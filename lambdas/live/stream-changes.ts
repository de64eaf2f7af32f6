/**
 * The live channel's share of the events reader (`publish-events`): the batch's writes, as the
 * stream shows them, handed to the fan-out. A stream serves two readers per shard, so the live
 * channel rides on the events reader instead of being a third.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { TaskWrite } from '#domain/live';
import { logger } from '#observability/logger';
import { newTask, oldTask } from '#push/stream';
import { fanOut } from '#service/live-fanout';

/** Fans the batch out to followers; resolves with the position of the record to retry the batch from, if any. */
export async function fanOutRecords(event: DynamoDBStreamEvent): Promise<number | undefined> {
  const now = Date.now() / 1000;
  const writes: Array<TaskWrite & { position: number }> = event.Records.flatMap((record, position) => {
    const task = newTask(record);
    const previous = oldTask(record);
    // The reader sees every write of an open task (the bus publishes progress too): only status
    // changes and the writes of a task someone follows (`followedUntil`) reach followers' reads.
    const followed = (task?.followedUntil ?? 0) > now;
    if (!task || (previous && previous.status === task.status && !followed)) return [];
    return [{ task, ...(previous && { previous }), position }];
  });
  try {
    const { retryFrom } = await fanOut(writes);
    return retryFrom === undefined ? undefined : writes[retryFrom]!.position;
  } catch (error) {
    logger.error('Live fan-out failed; the batch is retried', { error: error as Error });
    return writes[0]?.position;
  }
}
