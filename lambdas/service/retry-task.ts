/**
 * retry use case: a failed or cancelled task runs again, as its next attempt, in place (same id).
 * One conditional write moves it back to `pending` (attempt + 1, a fresh deadline, the last
 * attempt's leftovers removed), then the attempt starts: a new execution, `<id>-<attempt>`.
 *
 * Not a redrive: the workflow records a worker's failure itself and ends in its own Fail state, so
 * a redrive would re-run only that state; an aborted or timed-out execution would resume with its
 * first input (the old `attempt` and `deadline`). docs/api.md#retry says when which runs.
 */

import { isTransientAwsError } from '#clients/transient-errors';
import { config } from '#config';
import { deadlineAfter } from '#domain/deadline';
import { problemObject, problems } from '#domain/errors';
import { retryEntries } from '#domain/history';
import { openIndexAttributes } from '#domain/open-index';
import { attemptOf, MAX_ATTEMPTS, type TaskRecord } from '#domain/task';
import { retryExpression } from '#domain/transitions';
import { logger } from '#observability/logger';
import { stopExecution } from '#service/executions';
import { absentTask, assertVisible, findOwnTask, type Owners } from '#service/find-task';
import { startTask } from '#service/start-task';
import { conditionalUpdate, transition } from '#store/task-store';

const START_FAILED = problemObject('start-failed', 'The retry could not be started; retry it again.');

export async function retryTask(owners: Owners, id: string): Promise<TaskRecord> {
  const task = await findOwnTask(owners, id, { consistent: true });
  if (task.status !== 'failed' && task.status !== 'cancelled') throw problems.taskNotRetryable(task.status);
  const attempt = attemptOf(task);
  if (attempt >= MAX_ATTEMPTS) throw problems.retryLimitReached(attempt);
  // A cancelled (or expired) attempt whose execution is not known to have stopped: stop it first,
  // so two attempts never run at once (a transient failure answers 503; the client retries).
  if (task.openShard !== undefined) await stopExecution(task.id, attempt, 'cancel', task);

  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  const deadline = task.cancelAfterSeconds === undefined ? undefined : deadlineAfter(now, task.cancelAfterSeconds);
  const outcome = await conditionalUpdate(task.id, retryExpression(deadline !== undefined), {
    ':now': nowIso,
    ':owner': task.owner,
    ':attempt': attempt,
    ':next': attempt + 1,
    ':progress': { percent: 0 },
    ':ttl': Math.ceil(now / 1000) + config.executionTimeoutSeconds + config.retentionSeconds,
    ':history': retryEntries(task, nowIso),
    ...Object.fromEntries(Object.entries(openIndexAttributes(task.id, nowIso)).map(([name, value]) => [`:${name}`, value])),
    ...(deadline && { ':deadline': deadline }),
  });
  if (!outcome.ok) {
    // Retried, purged or changed meanwhile: say what it is now.
    if (!outcome.current) throw absentTask(id);
    assertVisible(outcome.current, id, owners);
    throw problems.taskNotRetryable(outcome.current.status);
  }
  try {
    await startTask(outcome.task);
  } catch (error) {
    logger.error('Starting a retry failed', { taskId: task.id, error: error as Error });
    // Nothing runs this attempt: close it as failed, so the task can be retried again.
    await transition(
      task.id,
      'failed',
      new Date().toISOString(),
      { error: JSON.stringify(START_FAILED) },
      { attempt: attempt + 1, detail: 'start-failed' },
    );
    throw isTransientAwsError(error) ? problems.unavailable(1) : problems.internal();
  }
  return outcome.task;
}
