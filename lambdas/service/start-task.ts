/** Starting an attempt of a task: its deadline's schedule, then its execution (submit, replay, retry, sweeper). */
import { isPastDeadline } from '#domain/deadline';
import { attemptOf } from '#domain/task';
import { scheduleDeadline } from '#service/deadlines';
import { type Startable, startExecution } from '#service/executions';

/**
 * Starts an attempt: its deadline's schedule first (so no execution runs without one), then its
 * execution; both idempotent. An attempt already past its deadline is not started: its schedule
 * (firing now) fails it with `deadline-exceeded`.
 */
export async function startTask(task: Startable): Promise<void> {
  if (task.deadline) {
    await scheduleDeadline(task.id, attemptOf(task), task.deadline);
    if (isPastDeadline(task.deadline)) return;
  }
  await startExecution(task);
}
