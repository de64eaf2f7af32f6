/**
 * The status backstop: an execution that ended without the workflow recording it (aborted,
 * timed out, a Fail state, a crash) still moves its task to the right terminal status. Every
 * write is a conditional transition of the execution's own attempt, so a late or duplicate event
 * changes nothing. An execution end also starts the attempt's compensation, when one is due.
 */
import { problemObject } from '#domain/errors';
import { parseExecutionName } from '#domain/ids';
import { isTerminal, type TaskStatus } from '#domain/task';
import { logger } from '#observability/logger';
import { compensateIfDue } from '#service/compensation';
import { recordResult } from '#service/record-result';
import { countExecutionEvent } from '#service/task-metrics';
import { closeOpenTask } from '#store/open-tasks';
import { transition, type WriteOutcome } from '#store/task-store';

export interface ExecutionStatusChange {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | string;
  output?: string | null;
  error?: string | null;
  cause?: string | null;
  stopDate?: number | null;
}

const STOPPED = problemObject('task-cancelled', 'The task was stopped.');

export async function reconcileExecution(detail: ExecutionStatusChange): Promise<TaskStatus | undefined> {
  const execution = parseExecutionName(detail.name);
  if (!execution) return undefined;
  const { taskId, attempt } = execution;
  const now = new Date(detail.stopDate ?? Date.now()).toISOString();
  let outcome: WriteOutcome;
  switch (detail.status) {
    case 'RUNNING':
      outcome = await transition(taskId, 'running', new Date().toISOString(), {}, { attempt });
      break;
    case 'SUCCEEDED':
      // EventBridge leaves out an output too large for its event (`outputDetails.included: false`):
      // never record a guess; the sweeper reads the whole output from DescribeExecution.
      if (detail.output === undefined || detail.output === null) {
        logger.info('Execution output not in its event; the sweeper will record the result', { taskId });
        return undefined;
      }
      outcome = await recordResult(taskId, attempt, detail.output, now);
      break;
    case 'FAILED':
      outcome = await transition(
        taskId,
        'failed',
        now,
        { error: JSON.stringify({ Error: detail.error ?? 'States.Runtime', Cause: detail.cause ?? undefined }) },
        { attempt },
      );
      break;
    case 'TIMED_OUT':
      outcome = await transition(taskId, 'failed', now, { error: JSON.stringify({ Error: 'States.Timeout' }) }, { attempt, detail: 'timed-out' });
      break;
    case 'ABORTED':
      outcome = await transition(taskId, 'cancelled', now, { error: JSON.stringify(STOPPED) }, { attempt, detail: 'stopped' });
      break;
    default:
      return undefined;
  }
  logger.info('Execution status reconciled', { taskId, attempt, executionStatus: detail.status, changed: outcome.ok });
  countExecutionEvent(detail.status, outcome);
  const task = outcome.ok ? outcome.task : outcome.current;
  if (detail.status !== 'RUNNING') {
    // A task cancelled by its owner (or its deadline) stays in the open-task index until its execution has ended: now it has.
    if (!outcome.ok && task && isTerminal(task.status) && task.openShard !== undefined && (task.attempt ?? 1) === attempt)
      await closeOpenTask(taskId);
    await compensateIfDue(task, attempt);
  }
  return task?.status;
}
