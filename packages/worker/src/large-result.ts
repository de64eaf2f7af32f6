/**
 * Results of any size. Step Functions carries at most 256 KB between states, so a worker with a
 * bigger result stores it in the results bucket and returns a pointer instead; `GET
 * /tasks/{id}/result` then answers 303 to a short-lived presigned URL of it. The worker function
 * needs `api.grantResultWrite(fn)` (`s3:PutObject` on `results/*` and `RESULTS_BUCKET_NAME`).
 *
 * @packageDocumentation
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { requiredEnv, s3 } from './clients.ts';
import { INLINE_RESULT_MAX_BYTES, type ResultPointer, resultKey, resultPointer, TASK_ID_PATTERN } from './protocol.ts';

export { INLINE_RESULT_MAX_BYTES, type ResultPointer } from './protocol.ts';

/**
 * Writes `value` as JSON to `results/<taskId>.json` in the results bucket and returns the pointer
 * for the worker to return as its output.
 *
 * @param taskId - the `taskId` of the worker's event (the object key comes from it)
 * @param value - any JSON-serialisable value
 * @example
 * ```ts
 * return storeLargeResult(event.taskId, { rows });
 * ```
 */
export async function storeLargeResult(taskId: string, value: unknown): Promise<ResultPointer> {
  if (!TASK_ID_PATTERN.test(taskId)) throw new Error('storeLargeResult: taskId must be the task id from the worker event');
  const body = Buffer.from(JSON.stringify(value ?? null));
  await s3().send(
    new PutObjectCommand({
      Bucket: requiredEnv('RESULTS_BUCKET_NAME', 'grantResultWrite'),
      Key: resultKey(taskId),
      Body: body,
      ContentType: 'application/json',
    }),
  );
  return resultPointer(taskId, body.byteLength);
}

/**
 * `value` itself when its JSON fits `maxInlineBytes`, else stored (see {@link storeLargeResult}) and a pointer.
 *
 * @param taskId - the `taskId` of the worker's event
 * @param value - any JSON-serialisable value
 * @param maxInlineBytes - the largest result returned inline. @default 65536 (64 KiB)
 * @example
 * ```ts
 * return resultOf(event.taskId, report); // inline when small, stored when large
 * ```
 */
export async function resultOf(taskId: string, value: unknown, maxInlineBytes: number = INLINE_RESULT_MAX_BYTES): Promise<unknown> {
  if (Buffer.byteLength(JSON.stringify(value ?? null)) <= maxInlineBytes) return value;
  return storeLargeResult(taskId, value);
}
