/**
 * purge use case: erase a task's data now, not at retention. An open task is cancelled first; the
 * stored result object is deleted, then one conditional write erases input, result, error detail,
 * metadata and history and marks the task purged, so every route answers 410 for it.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '#clients/s3';
import { config } from '#config';
import { problems } from '#domain/errors';
import { resultKey } from '#domain/result-pointer';
import { isTerminal } from '#domain/task';
import { purgeExpression } from '#domain/transitions';
import { cancelTask } from '#service/cancel-task';
import { absentTask, assertVisible, findOwnTask, type Owners } from '#service/find-task';
import { conditionalUpdate } from '#store/task-store';

export async function purgeTask(owners: Owners, id: string): Promise<void> {
  let task = await findOwnTask(owners, id);
  // Twice at most: a retry between our read and our write reopens the task, which is cancelled again.
  for (let round = 0; round < 2; round++) {
    if (!isTerminal(task.status)) task = await cancelTask(owners, id);
    // The object first: if the write below fails, a second purge still finds the task and deletes again.
    await s3().send(new DeleteObjectCommand({ Bucket: config.resultsBucket, Key: resultKey(id) }));
    const outcome = await conditionalUpdate(id, purgeExpression(), {
      ':now': new Date().toISOString(),
      // The owner the caller was found to be (one of its owners).
      ':owner': task.owner,
      ':progress': { percent: task.status === 'succeeded' ? 100 : task.progress.percent },
    });
    if (outcome.ok) return;
    if (!outcome.current) throw absentTask(id);
    assertVisible(outcome.current, id, owners);
    task = outcome.current;
  }
  // Reopened twice in a row by retries: let the caller try again.
  throw problems.unavailable(1);
}
