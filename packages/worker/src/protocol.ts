/**
 * What a worker and the rest of Longrun agree on, written once: the progress write a worker makes
 * on its task row, and the pointer a worker returns for a result stored in the results bucket.
 * `@longrun/cdk` grants exactly this write (`grantProgress`) and serves exactly this pointer; a
 * worker does not need this module (`progressReporter` and `resultOf` use it).
 *
 * @packageDocumentation
 */

/** A task's progress: `percent` from 0 to 100 (100 only once succeeded), and an optional step label. */
export interface Progress {
  /** From 0 to 100; a worker's reports are kept within 0..99. */
  percent: number;
  /** What the worker is doing now, shown to callers (e.g. `"chunk 3 of 20"`). */
  step?: string;
}

/** A conditional DynamoDB UpdateItem, as data. */
export interface ProgressWrite {
  /** The `UpdateExpression`. */
  readonly updateExpression: string;
  /** The `ConditionExpression`: the task exists and is still pending or running. */
  readonly condition: string;
  /** `ExpressionAttributeNames`: every attribute the write touches (the grant lists exactly these). */
  readonly names: Readonly<Record<string, string>>;
  /** `ExpressionAttributeValues` besides `:progress` and `:now`, which the writer adds. */
  readonly values: Readonly<Record<string, string | number>>;
}

/**
 * The progress write: sets `progress`, moves a pending task to `running` (recording `startedAt`
 * once), and bumps `version` like every write to a task, so watchers see the change. It fails its
 * condition once the task is terminal, which is how a worker learns it was cancelled.
 */
export const PROGRESS_WRITE: ProgressWrite = Object.freeze({
  updateExpression:
    'SET #status = :to, #progress = :progress, #updatedAt = :now, #startedAt = if_not_exists(#startedAt, :now), #version = if_not_exists(#version, :zero) + :one',
  condition: 'attribute_exists(#id) AND #status IN (:from0, :from1)',
  names: Object.freeze({
    '#id': 'id',
    '#status': 'status',
    '#progress': 'progress',
    '#updatedAt': 'updatedAt',
    '#startedAt': 'startedAt',
    '#version': 'version',
  }),
  values: Object.freeze({ ':to': 'running', ':from0': 'pending', ':from1': 'running', ':zero': 0, ':one': 1 }),
});

/** Task ids are UUIDv7. */
export const TASK_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The one member of a result pointer: a name no ordinary result uses. */
export const RESULT_POINTER_MEMBER = '$longrunResult';

/** What a worker returns instead of a result stored in the results bucket. */
export interface ResultPointer {
  /** Where the result is. */
  [RESULT_POINTER_MEMBER]: {
    /** Object key in the results bucket: always `results/<taskId>.json`. */
    s3Key: string;
    /** Size of the stored JSON, in bytes. */
    bytes: number;
  };
}

/**
 * Results larger than this are better stored than inlined: the task row also holds the input (up
 * to 256 KiB) and DynamoDB caps an item at 400 KB, so an inline result must stay well below.
 */
export const INLINE_RESULT_MAX_BYTES = 64 * 1024;

/** The only key a task's result may have, so a pointer can never name another task's object. */
export function resultKey(taskId: string): string {
  return `results/${taskId}.json`;
}

/** The pointer to a stored result of `bytes` bytes. */
export function resultPointer(taskId: string, bytes: number): ResultPointer {
  return { [RESULT_POINTER_MEMBER]: { s3Key: resultKey(taskId), bytes } };
}
