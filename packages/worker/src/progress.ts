/**
 * Progress reports, and cooperative cancellation: a report records progress (making a pending task
 * running) and answers whether the task is over. StopExecution cannot interrupt a Lambda invocation
 * already running, so a worker learns of a cancel from its next report.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb, requiredEnv } from './clients.ts';
import { PROGRESS_WRITE, type Progress } from './protocol.ts';

/** The answer to a progress report. */
export interface ProgressAnswer {
  /** The task was cancelled, or otherwise finished: stop working and return at once. */
  cancelled: boolean;
}

/** Options of {@link progressReporter}. */
export interface ProgressReporterOptions {
  /**
   * Write at most this often, unless progress moved `minStep` points. One second: a live follower is
   * sent at most one message a second per task, so faster writes would only be coalesced away. @default 1000
   */
  minIntervalMs?: number;
  /** Write whenever progress moved at least this many points since the last write. @default 25 */
  minStep?: number;
  /** The clock (tests). @default Date.now */
  now?: () => number;
}

/** A condition failure means the task is no longer pending or running. */
function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * Records `progress` on the task now, every time it is called. Best-effort: a write that fails
 * (throttling, a timeout) never fails the task; it is logged, and the answer says "go on".
 *
 * @param taskId - the `taskId` of the worker's event
 * @param progress - `percent` is kept within 0..99 (100 is written with the result)
 * @returns whether the task is over (`cancelled: true`: stop now)
 * @example
 * ```ts
 * const { cancelled } = await reportProgress(event.taskId, { percent: 50, step: 'halfway' });
 * if (cancelled) return { cancelled: true };
 * ```
 */
export async function reportProgress(taskId: string, progress: Progress): Promise<ProgressAnswer> {
  const percent = Math.max(0, Math.min(99, Math.floor(progress.percent)));
  // Outside the try: a function never granted progress fails loudly, not as a skipped report.
  const TableName = requiredEnv('TABLE_NAME', 'grantProgress');
  try {
    await dynamodb().send(
      new UpdateCommand({
        TableName,
        Key: { id: taskId },
        UpdateExpression: PROGRESS_WRITE.updateExpression,
        ConditionExpression: PROGRESS_WRITE.condition,
        ExpressionAttributeNames: PROGRESS_WRITE.names,
        ExpressionAttributeValues: { ...PROGRESS_WRITE.values, ':progress': { ...progress, percent }, ':now': new Date().toISOString() },
      }),
    );
    return { cancelled: false };
  } catch (error) {
    if (isConditionFailure(error)) return { cancelled: true };
    console.warn(
      JSON.stringify({ level: 'WARN', message: 'Progress write failed; continuing', taskId, error: String((error as Error)?.name ?? error) }),
    );
    return { cancelled: false };
  }
}

/**
 * A reporter for one task that skips writes no client could use: it writes when `minIntervalMs`
 * passed or progress moved `minStep` points since its last write (every write costs DynamoDB
 * units, and a tight loop finishes chunks far faster than clients poll). A skipped report answers
 * with the last known state, so a cancel is noticed within one interval or step.
 *
 * @param taskId - the `taskId` of the worker's event
 * @example
 * ```ts
 * const report = progressReporter(event.taskId);
 * for (const [i, chunk] of chunks.entries()) {
 *   work(chunk);
 *   const { cancelled } = await report({ percent: ((i + 1) / chunks.length) * 100 });
 *   if (cancelled) return { cancelled: true };
 * }
 * ```
 */
export function progressReporter(taskId: string, options: ProgressReporterOptions = {}): (progress: Progress) => Promise<ProgressAnswer> {
  const { minIntervalMs = 1_000, minStep = 25, now = Date.now } = options;
  let lastWrite = -Infinity;
  let lastPercent = -Infinity;
  let last: ProgressAnswer = { cancelled: false };
  return async (progress: Progress): Promise<ProgressAnswer> => {
    if (now() - lastWrite < minIntervalMs && progress.percent - lastPercent < minStep) return last;
    lastWrite = now();
    lastPercent = progress.percent;
    last = await reportProgress(taskId, progress);
    return last;
  };
}

/**
 * Thrown by a worker to fail its task with a message meant for the caller: `message` becomes the
 * task's `error.detail`. Any other error fails the task with a generic "The task failed.".
 *
 * @example
 * ```ts
 * if (!dataReady(input.month)) throw new TaskFailed(`No sales data for ${input.month} yet.`);
 * ```
 */
export class TaskFailed extends Error {
  /** @param message - shown to the caller as the task's `error.detail` */
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailed';
  }
}
