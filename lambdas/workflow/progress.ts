/**
 * The progress helper a worker calls after each chunk of work. It records progress (making a
 * pending task running) and tells the worker whether to stop: StopExecution cannot interrupt a
 * Lambda invocation already running, so cancellation is cooperative.
 */
import type { Progress } from '#domain/task';
import { logger } from '#service/logger';
import { recordProgress } from '#store/task-store';

export interface ProgressAnswer {
  /** The task was cancelled, or otherwise finished: stop working. */
  cancelled: boolean;
}

/**
 * Best-effort: a progress write that fails (throttling, a timeout) never fails the task; the
 * worker carries on and the next report tries again.
 */
export async function reportProgress(taskId: string, progress: Progress): Promise<ProgressAnswer> {
  const percent = Math.max(0, Math.min(99, Math.floor(progress.percent)));
  try {
    const outcome = await recordProgress(taskId, { ...progress, percent }, new Date().toISOString());
    return { cancelled: !outcome.ok };
  } catch (error) {
    logger.warn('Progress write failed; continuing', { taskId, error: error as Error });
    return { cancelled: false };
  }
}

/**
 * A reporter for one task that skips writes a client could not use: it writes when
 * `minIntervalMs` has passed or progress has moved `minStep` points since the last write. Every
 * write costs DynamoDB write units on the table and its owner index, and a tight loop finishes
 * chunks far faster than clients poll; the step rule keeps a fast task's progress visible (and
 * its number of writes independent of machine speed). Skipped reports answer with the last known
 * state, so cancellation is noticed within one interval or step.
 */
export function progressReporter(taskId: string, options: { minIntervalMs?: number; minStep?: number; now?: () => number } = {}) {
  const { minIntervalMs = 500, minStep = 25, now = Date.now } = options;
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
 * Thrown by a worker to fail its task with a message meant for the caller.
 * @public for worker authors
 */
export class TaskFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailed';
  }
}
