/** result use case: a succeeded task's result, inline, or a short-lived link to the stored object. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3 } from '#clients/s3';
import { config } from '#config';
import { isResultPointer, RESULT_LINK_SECONDS, resultKey } from '#domain/result-pointer';
import type { TaskRecord } from '#domain/task';

export type TaskResult = { stored: false; value: unknown } | { stored: true; url: string };

export async function taskResult(task: TaskRecord): Promise<TaskResult> {
  const value: unknown = JSON.parse(task.result ?? 'null');
  if (!isResultPointer(value)) return { stored: false, value };
  // The key comes from the task id, never from the pointer, so a link can only reach this task's object.
  const command = new GetObjectCommand({ Bucket: config.resultsBucket, Key: resultKey(task.id) });
  return { stored: true, url: await getSignedUrl(s3(), command, { expiresIn: RESULT_LINK_SECONDS }) };
}

/** A succeeded task's result when it is inline (not stored in the bucket), else undefined. */
export function inlineResult(task: TaskRecord): { value: unknown } | undefined {
  if (task.status !== 'succeeded') return undefined;
  const value: unknown = JSON.parse(task.result ?? 'null');
  return isResultPointer(value) ? undefined : { value };
}
