/**
 * A result too large for the workflow (256 KB) or the task row (400 KB) lives in the results
 * bucket; the workflow carries only a pointer, in the format the worker kit writes
 * (`@longrun/worker/protocol`), and the result route answers 303 to the object. Pure: no AWS imports.
 */
import { RESULT_POINTER_MEMBER, type ResultPointer } from '@longrun/worker/protocol';
import { problemObject } from './errors.ts';

export { RESULT_POINTER_MEMBER, type ResultPointer, resultKey, resultPointer } from '@longrun/worker/protocol';

/** Lifetime of a presigned result link: long enough to start a download, short enough that a leaked link soon stops working. */
export const RESULT_LINK_SECONDS = 300;

/** True for a stored result (parsed JSON) that is a pointer to the results bucket. */
export function isResultPointer(value: unknown): value is ResultPointer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const inner = (value as Record<string, unknown>)[RESULT_POINTER_MEMBER];
  return keys.length === 1 && typeof inner === 'object' && inner !== null && typeof (inner as { s3Key?: unknown }).s3Key === 'string';
}

/**
 * The `error` of a task whose worker returned too much inline: Step Functions refused the output
 * (States.DataLimitExceeded) or DynamoDB the item. It says what the worker should do instead.
 */
export function resultTooLargeProblem() {
  return problemObject(
    'result-too-large',
    'The task produced a result larger than a task can return inline (256 KB). Its worker must store such a result with the results helper (storeLargeResult) and return the pointer it gets; the result is then served through a link.',
  );
}
