/**
 * A task's execution: named after the task id, started with the same input by submit, by an
 * idempotent replay and by the sweeper; described and stopped by the sweeper and by cancel.
 */
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArn, sfn } from '#clients/sfn';
import { config } from '#config';
import type { ExecutionState } from '#domain/sweep';
import type { ExecutionInput, TaskRecord } from '#domain/task';

/** Step Functions' limit on an execution input (256 KiB, UTF-8). */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

export function executionInput(task: Pick<TaskRecord, 'id' | 'type' | 'input'>): string {
  const input: ExecutionInput = { taskId: task.id, type: task.type, input: JSON.parse(task.input) };
  return JSON.stringify(input);
}

/**
 * StartExecution is idempotent for the same name and input. `ExecutionAlreadyExists` (an
 * execution of that name already ran) means it was started before: that is success too.
 */
export async function startExecution(task: Pick<TaskRecord, 'id' | 'type' | 'input'>): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name: task.id, input: executionInput(task) }));
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

export async function describeExecution(taskId: string): Promise<DescribedExecution> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(taskId) }));
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

/** Stops the task's execution; one that does not exist (or has ended) needs no stopping. */
export async function stopExecution(taskId: string): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(taskId), error: 'TaskCancelled', cause: 'Cancelled by its owner.' }));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
  }
}
