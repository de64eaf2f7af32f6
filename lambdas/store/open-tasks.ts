/**
 * The open-task index, as the sweeper reads and maintains it: one Query per shard for tasks due
 * for a check, and the two bookkeeping writes (defer, close), conditional like every write.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#clients/dynamodb';
import { config } from '#config';
import { closeExpression, deferExpression, OPEN_INDEX } from '#domain/open-index';
import type { TaskStatus } from '#domain/task';
import { conditionalUpdate, type WriteOutcome } from '#store/task-store';

/** What the index projects: keys, status and creation time. */
export interface OpenTask {
  id: string;
  status: TaskStatus;
  createdAt: string;
  openShard: number;
  sweepAt: string;
}

export interface OpenPage {
  items: OpenTask[];
  /** Where the next page of this shard starts, if there may be more. */
  next?: Record<string, unknown>;
}

/**
 * Tasks of `shard` due for a check (`sweepAt` before `dueBefore`), longest-waiting first: the
 * pending ones only, or all the others (`pending: false`).
 */
export async function queryDue(
  shard: number,
  dueBefore: string,
  limit: number,
  startKey: Record<string, unknown> | undefined,
  pending: boolean,
): Promise<OpenPage> {
  const { Items, LastEvaluatedKey } = await dynamodb.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: OPEN_INDEX.name,
      KeyConditionExpression: '#shard = :shard AND #sweepAt < :due',
      FilterExpression: pending ? '#status = :pending' : '#status <> :pending',
      ExpressionAttributeNames: { '#shard': OPEN_INDEX.partitionKey, '#sweepAt': OPEN_INDEX.sortKey, '#status': 'status' },
      ExpressionAttributeValues: { ':shard': shard, ':due': dueBefore, ':pending': 'pending' },
      ScanIndexForward: true,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (Items ?? []) as OpenTask[], ...(LastEvaluatedKey && { next: LastEvaluatedKey }) };
}

/** Next check at `sweepAt`, if the task is still open with the status the sweeper saw. */
export function deferSweep(id: string, seen: TaskStatus, sweepAt: string): Promise<WriteOutcome> {
  return conditionalUpdate(id, deferExpression(), { ':seen': seen, ':sweepAt': sweepAt });
}

/** Takes a terminal task out of the open-task index. */
export function closeOpenTask(id: string): Promise<WriteOutcome> {
  return conditionalUpdate(id, closeExpression(), {});
}
