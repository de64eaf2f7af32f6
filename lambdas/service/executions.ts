/**
 * A task's execution: one per attempt, named `executionName(id, attempt)`, started with the same
 * input by submit, by an idempotent replay, by a retry and by the sweeper (`#service/start-task`);
 * described and stopped by the sweeper, by cancel and by the deadline.
 */
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArn, sfn } from '#clients/sfn';
import { config } from '#config';
import { executionName } from '#domain/ids';
import type { ExecutionState } from '#domain/sweep';
import { attemptOf, type ExecutionInput, type TaskRecord } from '#domain/task';

/** Step Functions' limit on an execution input (256 KiB, UTF-8). */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

export type Startable = Pick<TaskRecord, 'id' | 'type' | 'input' | 'attempt' | 'deadline' | 'workflow'>;

/** Whether a task runs on the Express state machine: no DescribeExecution, no StopExecution, no status events. */
export function isExpress(task: Pick<TaskRecord, 'workflow'> | undefined): boolean {
  return task?.workflow === 'express';
}

export function executionInput(task: Startable): string {
  const input: ExecutionInput = {
    taskId: task.id,
    type: task.type,
    input: JSON.parse(task.input),
    attempt: attemptOf(task),
    ...(task.deadline && { deadline: task.deadline }),
  };
  return JSON.stringify(input);
}

/**
 * StartExecution is idempotent for the same name and input on Standard. `ExecutionAlreadyExists` (an
 * execution of that name already ran) means it was started before: that is success too. On Express it
 * is not (every call starts a run): RecordRunning's condition makes a second run of an attempt end at once.
 */
export async function startExecution(task: Startable): Promise<void> {
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: isExpress(task) ? config.expressStateMachineArn : config.stateMachineArn,
        name: executionName(task.id, attemptOf(task)),
        input: executionInput(task),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}

export interface DescribedExecution {
  state: ExecutionState;
  output?: string;
  error?: string;
  cause?: string;
  /** Epoch milliseconds. */
  stopDate?: number;
}

export async function describeExecution(taskId: string, attempt: number): Promise<DescribedExecution> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(executionName(taskId, attempt)) }));
    return {
      state: (out.status ?? 'RUNNING') as ExecutionState,
      ...(out.output !== undefined && { output: out.output }),
      ...(out.error !== undefined && { error: out.error }),
      ...(out.cause !== undefined && { cause: out.cause }),
      ...(out.stopDate && { stopDate: out.stopDate.getTime() }),
    };
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return { state: 'MISSING' };
    throw error;
  }
}

/** Why an execution is stopped: its owner cancelled it, or its deadline passed. */
const STOP_REASONS = {
  cancel: { error: 'TaskCancelled', cause: 'Cancelled by its owner.' },
  deadline: { error: 'DeadlineExceeded', cause: 'The task did not finish by its deadline.' },
} as const;

/**
 * Stops an attempt's execution; one that does not exist (or has ended) needs no stopping. An Express
 * execution cannot be stopped (cancel is cooperative there): nothing is called.
 */
export async function stopExecution(
  taskId: string,
  attempt: number,
  reason: keyof typeof STOP_REASONS = 'cancel',
  task?: Pick<TaskRecord, 'workflow'>,
): Promise<void> {
  if (isExpress(task)) return;
  try {
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(executionName(taskId, attempt)), ...STOP_REASONS[reason] }));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
  }
}
