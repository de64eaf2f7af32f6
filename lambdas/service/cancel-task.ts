/** cancel use case: mark the caller's task cancelled (one conditional write), then stop its execution. */
import { problemObject, problems } from '#domain/errors';
import { isTaskId } from '#domain/ids';
import { attemptOf, type TaskRecord } from '#domain/task';
import { logger } from '#observability/logger';
import { stopExecution } from '#service/executions';
import { absentTask, assertVisible, type Owners } from '#service/find-task';
import { transition } from '#store/task-store';

const CANCELLED = problemObject('task-cancelled', 'The task was cancelled by its owner.');

export async function cancelTask(owners: Owners, id: string): Promise<TaskRecord> {
  if (!isTaskId(id)) throw problems.notFound();
  // The task stays in the open-task index until its execution is known to be stopped (the backstop's
  // ABORTED event or the sweeper takes it out), so a failed StopExecution is retried by the sweeper.
  const outcome = await transition(
    id,
    'cancelled',
    new Date().toISOString(),
    { error: JSON.stringify(CANCELLED) },
    { owner: owners, keepOpen: true },
  );
  if (!outcome.ok) {
    // The condition failed: absent, someone else's, or already terminal. The old item says which.
    if (!outcome.current) throw absentTask(id);
    assertVisible(outcome.current, id, owners);
    if (outcome.current.status !== 'cancelled') throw problems.taskAlreadyFinished(outcome.current.status);
    // Cancelled before, and its execution not yet known to be stopped: stop it again (idempotent).
    if (outcome.current.openShard !== undefined) await stop(outcome.current);
    return outcome.current;
  }
  await stop(outcome.task);
  return outcome.task;
}

async function stop(task: TaskRecord): Promise<void> {
  try {
    // An Express execution cannot be stopped: its worker learns of the cancel at its next progress
    // report, and RecordSuccess/RecordFailure (conditional) cannot overwrite `cancelled`.
    await stopExecution(task.id, attemptOf(task), 'cancel', task);
  } catch (error) {
    // The task is cancelled for every reader and its worker sees that at its next progress report;
    // the sweeper stops the execution later (the task is still in the open-task index).
    logger.warn('StopExecution failed; the sweeper will retry it', { taskId: task.id, error: error as Error });
  }
}
