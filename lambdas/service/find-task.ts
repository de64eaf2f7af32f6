/** Looks up a caller's task: someone else's task, a missing one and a malformed id all read as absent. */
import { config } from '#config';
import { problems } from '#domain/errors';
import { createdAtOfId, isTaskId } from '#domain/ids';
import { isExpired } from '#domain/representation';
import type { TaskRecord } from '#domain/task';
import { getTask, type ReadOptions } from '#store/task-store';

/**
 * The problem for a task the caller cannot see. An id minted longer ago than the retention period
 * may name a task whose row TTL has since deleted, so it answers 410; a younger one 404. Both
 * depend only on the id, never on whether another caller's task exists.
 */
export function absentTask(id: string, now: number = Date.now()): Error {
  if (isTaskId(id) && createdAtOfId(id) <= now - config.retentionSeconds * 1000) return problems.gone();
  return problems.notFound();
}

/** One owner, or every owner of a caller (its consumer and, for tasks created before consumers, its key). */
export type Owners = string | readonly string[];

const ownedBy = (task: TaskRecord, owners: Owners): boolean => (typeof owners === 'string' ? task.owner === owners : owners.includes(task.owner));

/** Throws 404/410 unless `task` is the caller's, still within retention and not purged. */
export function assertVisible(task: TaskRecord | undefined, id: string, owners: Owners): asserts task is TaskRecord {
  if (!task || !ownedBy(task, owners)) throw absentTask(id);
  if (task.purgedAt !== undefined) throw problems.purged();
  if (isExpired(task, config.retentionSeconds)) throw problems.gone();
}

export async function findOwnTask(owners: Owners, id: string, options: ReadOptions = {}): Promise<TaskRecord> {
  // Malformed ids never reach DynamoDB.
  if (!isTaskId(id)) throw problems.notFound();
  const task = await getTask(id, options);
  assertVisible(task, id, owners);
  return task;
}
