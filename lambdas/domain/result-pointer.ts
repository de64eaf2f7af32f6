/**
 * A result too large for the workflow (256 KB) or the task row (400 KB) lives in the results
 * bucket; the workflow carries only this pointer, and the result route answers 303 to the object.
 * Pure: no AWS imports.
 */
import { problemObject } from '#domain/errors';

/** The one member of a pointer object; a name no ordinary result uses. */
export const RESULT_POINTER_MEMBER = '$longrunResult';

export interface ResultPointer {
  [RESULT_POINTER_MEMBER]: {
    /** Object key in the results bucket: always `results/<taskId>.json`. */
    s3Key: string;
    /** Size of the stored JSON, in bytes. */
    bytes: number;
  };
}

/**
 * Results larger than this are better stored than inlined: the row also holds the input (up to
 * 256 KiB) and DynamoDB caps an item at 400 KB, so an inline result must stay well below.
 */
export const INLINE_RESULT_MAX_BYTES = 64 * 1024;

/** Lifetime of a presigned result link: long enough to start a download, short enough that a leaked link soon stops working. */
export const RESULT_LINK_SECONDS = 300;

/** The only key a task's result may have, so a pointer can never name another task's object. */
export function resultKey(taskId: string): string {
  return `results/${taskId}.json`;
}

export function resultPointer(taskId: string, bytes: number): ResultPointer {
  return { [RESULT_POINTER_MEMBER]: { s3Key: resultKey(taskId), bytes } };
}

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
