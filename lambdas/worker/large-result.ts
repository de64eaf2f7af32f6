/**
 * The results helper for worker Lambdas. Step Functions carries at most 256 KB between states,
 * so a worker with a bigger result stores it in the results bucket and returns the pointer
 * instead; `GET /tasks/{id}/result` then answers 303 to a short-lived presigned URL of it.
 * A worker needs `AsyncTaskApi.grantResultWrite` (s3:PutObject on `results/*`, RESULTS_BUCKET_NAME).
 *
 *   return resultOf(taskId, { rows });           // inline when small, stored when large
 *   return storeLargeResult(taskId, { rows });   // always stored
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { RESULTS_BUCKET, s3 } from '#clients/s3';
import { isTaskId } from '#domain/ids';
import { INLINE_RESULT_MAX_BYTES, type ResultPointer, resultKey, resultPointer } from '#domain/result-pointer';

/** Writes `value` as JSON to `results/<taskId>.json` and returns the pointer to return as the worker's output. */
export async function storeLargeResult(taskId: string, value: unknown): Promise<ResultPointer> {
  if (!isTaskId(taskId)) throw new Error('storeLargeResult: taskId must be the task id from the execution input');
  const body = Buffer.from(JSON.stringify(value ?? null));
  await s3.send(new PutObjectCommand({ Bucket: RESULTS_BUCKET, Key: resultKey(taskId), Body: body, ContentType: 'application/json' }));
  return resultPointer(taskId, body.byteLength);
}

/** `value` itself when its JSON fits `maxInlineBytes` (default 64 KiB), else stored and a pointer. */
export async function resultOf(taskId: string, value: unknown, maxInlineBytes = INLINE_RESULT_MAX_BYTES): Promise<unknown> {
  if (Buffer.byteLength(JSON.stringify(value ?? null)) <= maxInlineBytes) return value;
  return storeLargeResult(taskId, value);
}
