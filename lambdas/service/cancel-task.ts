/** cancel use case: mark the caller's task cancelled (one conditional write), then stop its execution. */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArn, sfn } from '#clients/sfn';
import { problemObject, problems } from '#domain/errors';
import { isTaskId } from '#domain/ids';
import type { TaskRecord } from '#domain/task';
import { transition } from '#store/task-store';
import { absentTask, assertVisible } from '#service/find-task';
import { logger } from '#service/logger';

const CANCELLED = problemObject('task-cancelled', 'The task was cancelled by its owner.');

export async function cancelTask(owner: string, id: string): Promise<TaskRecord> {
  if (!isTaskId(id)) throw problems.notFound();
  const outcome = await transition(id, 'cancelled', new Date().toISOString(), { error: JSON.stringify(CANCELLED) }, owner);
  if (!outcome.ok) {
    // The condition failed: absent, someone else's, or already terminal. The old item says which.
    if (!outcome.current) throw absentTask(id);
    assertVisible(outcome.current, id, owner);
    if (outcome.current.status === 'cancelled') return outcome.current;
    throw problems.taskAlreadyFinished(outcome.current.status);
  }
  try {
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(id), error: 'TaskCancelled', cause: 'Cancelled by its owner.' }));
  } catch (error) {
    // The task is already cancelled for every reader and its worker sees that at its next progress
    // report; the execution ends by its own timeout at worst.
    if ((error as Error).name !== 'ExecutionDoesNotExist') logger.error('StopExecution failed', { taskId: id, error: error as Error });
  }
  return outcome.task;
}
