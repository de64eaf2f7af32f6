/**
 * The progress helper a worker calls after each chunk of work. It records progress (making a
 * pending task running) and tells the worker whether to stop: StopExecution cannot interrupt a
 * Lambda invocation already running, so cancellation is cooperative.
 */
import type { Progress } from '#domain/task';
import { recordProgress } from '#store/task-store';

export interface ProgressAnswer {
  /** The task was cancelled, or otherwise finished: stop working. */
  cancelled: boolean;
}

export async function reportProgress(taskId: string, progress: Progress): Promise<ProgressAnswer> {
  const percent = Math.max(0, Math.min(99, Math.floor(progress.percent)));
  const outcome = await recordProgress(taskId, { ...progress, percent }, new Date().toISOString());
  return { cancelled: !outcome.ok };
}

/**
 * A reporter for one task that writes at most once per `minIntervalMs`: every write costs
 * DynamoDB write units on the table and its owner index, and clients poll far less often than a
 * tight loop finishes chunks. Skipped reports answer with the last known state; cancellation is
 * therefore noticed within one interval.
 */
export function progressReporter(taskId: string, minIntervalMs = 500, now: () => number = Date.now) {
  let lastWrite = -Infinity;
  let last: ProgressAnswer = { cancelled: false };
  return async (progress: Progress): Promise<ProgressAnswer> => {
    if (now() - lastWrite < minIntervalMs) return last;
    lastWrite = now();
    last = await reportProgress(taskId, progress);
    return last;
  };
}

/** Thrown by a worker to fail its task with a message meant for the caller. */
export class TaskFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailed';
  }
}
