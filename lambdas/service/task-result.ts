/** result use case: a succeeded task's result, inline, or a short-lived link to the stored object. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RESULTS_BUCKET, s3 } from '#clients/s3';
import { isResultPointer, resultKey } from '#domain/result-pointer';
import type { TaskRecord } from '#domain/task';

/** Long enough to start a download, short enough that a leaked link soon stops working. */
export const RESULT_LINK_SECONDS = 300;

export type TaskResult = { stored: false; value: unknown } | { stored: true; url: string };

export async function taskResult(task: TaskRecord): Promise<TaskResult> {
  const value: unknown = JSON.parse(task.result ?? 'null');
  if (!isResultPointer(value)) return { stored: false, value };
  // The key comes from the task id, never from the pointer, so a link can only reach this task's object.
  const command = new GetObjectCommand({ Bucket: RESULTS_BUCKET, Key: resultKey(task.id) });
  return { stored: true, url: await getSignedUrl(s3, command, { expiresIn: RESULT_LINK_SECONDS }) };
}
