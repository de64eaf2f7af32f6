/**
 * Deadlines: a one-time EventBridge Scheduler schedule per attempt, at the attempt's deadline,
 * invokes the expire function with `{ taskId, attempt }`; it fails the task with
 * `deadline-exceeded` (if that attempt is still open) and stops its execution. The schedule deletes
 * itself once it has fired. Why a schedule: docs/api.md#deadlines (cost in bench part 5).
 */
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { scheduler } from '#clients/scheduler';
import { config } from '#config';
import { deadlineExceededProblem } from '#domain/deadline';
import { executionName } from '#domain/ids';
import { logger } from '#observability/logger';
import { stopExecution } from '#service/executions';
import { transition } from '#store/task-store';

/** What a deadline schedule sends to the expire function. */
export interface DeadlineEvent {
  taskId: string;
  attempt: number;
}

export function isDeadlineEvent(value: unknown): value is DeadlineEvent {
  const event = value as DeadlineEvent;
  return typeof event === 'object' && event !== null && typeof event.taskId === 'string' && Number.isInteger(event.attempt) && event.attempt >= 1;
}

/** `at(…)` takes local date-time in the schedule's time zone (UTC here), to the second. */
function atExpression(deadline: string): string {
  return `at(${new Date(deadline).toISOString().slice(0, 19)})`;
}

/** Creates the attempt's deadline schedule (named like its execution); one that exists already is kept. */
export async function scheduleDeadline(taskId: string, attempt: number, deadline: string): Promise<void> {
  try {
    await scheduler().send(
      new CreateScheduleCommand({
        Name: executionName(taskId, attempt),
        GroupName: config.deadlineScheduleGroup,
        ScheduleExpression: atExpression(deadline),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: config.deadlineFunctionArn,
          RoleArn: config.deadlineRoleArn,
          Input: JSON.stringify({ taskId, attempt } satisfies DeadlineEvent),
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
        },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConflictException') throw error;
  }
}

/**
 * The deadline of an attempt has come: if it is still open, it ends `failed` with
 * `deadline-exceeded` and its execution is stopped. The task stays in the open-task index until its
 * execution is known to have ended, so a failed StopExecution is retried by the sweeper.
 */
export async function expireTask(event: DeadlineEvent, now: string = new Date().toISOString()): Promise<boolean> {
  const outcome = await transition(
    event.taskId,
    'failed',
    now,
    { error: JSON.stringify(deadlineExceededProblem()) },
    { attempt: event.attempt, keepOpen: true, detail: 'deadline-exceeded' },
  );
  logger.info('Deadline reached', { taskId: event.taskId, attempt: event.attempt, expired: outcome.ok });
  if (!outcome.ok) return false;
  try {
    await stopExecution(event.taskId, event.attempt, 'deadline', outcome.task);
  } catch (error) {
    logger.warn('StopExecution after the deadline failed; the sweeper will retry it', { taskId: event.taskId, error: error as Error });
  }
  return true;
}
