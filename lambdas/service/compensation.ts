/**
 * Starting a task's compensation: once its attempt ended in a compensated status (and its
 * execution is over), the compensation of that attempt is claimed on the task (once) and its
 * execution started (idempotent: named after the attempt). Called by the backstop for every
 * execution end, and by the sweeper for one whose event never came.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '#clients/sfn';
import { config } from '#config';
import { compensationClaimExpression, compensationInput, compensationOutcomeExpression, shouldCompensate } from '#domain/compensation';
import { historyEntry } from '#domain/history';
import { executionName } from '#domain/ids';
import { attemptOf, type TaskRecord } from '#domain/task';
import { logger } from '#observability/logger';
import { conditionalUpdate } from '#store/task-store';

/** Step Functions' limit on an execution input: a task whose input is larger is not compensated. */
const MAX_INPUT_BYTES = 256 * 1024;

export async function compensateIfDue(task: TaskRecord | undefined, attempt: number): Promise<void> {
  const stateMachineArn = config.compensationStateMachineArn;
  if (!stateMachineArn || !task || attemptOf(task) !== attempt || !shouldCompensate(task, config.compensateOn)) return;
  let claimed = task;
  if (!task.compensation) {
    const outcome = await conditionalUpdate(task.id, compensationClaimExpression(config.compensateOn), {
      ':compensation': { status: 'running' },
      ':attempt': attempt,
    });
    // Claimed by another caller (it starts the execution), or no longer due.
    if (!outcome.ok) return;
    claimed = outcome.task;
  }
  const input = JSON.stringify(compensationInput(claimed, attempt));
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
    logger.error('Task input too large to compensate', { taskId: task.id });
    const now = new Date().toISOString();
    await conditionalUpdate(task.id, compensationOutcomeExpression(), {
      ':compensation': { status: 'failed', completedAt: now },
      ':attempt': attempt,
      ':history': historyEntry('compensated', claimed.status, now, 'failed'),
    });
    return;
  }
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName(task.id, attempt), input }));
    logger.info('Compensation started', { taskId: task.id, attempt });
  } catch (error) {
    // Started before (a repeated event): the claim and the execution name make it run once.
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}
