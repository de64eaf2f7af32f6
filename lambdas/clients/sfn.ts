/** One Step Functions client per container; the state machine ARN is validated at cold start. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { MAX_ATTEMPTS, REQUEST_HANDLER } from '#clients/timeouts';

function stateMachineArnFromEnv(): string {
  const arn = process.env.STATE_MACHINE_ARN;
  if (!arn?.includes(':stateMachine:')) throw new Error('environment variable STATE_MACHINE_ARN must be a state machine ARN');
  return arn;
}

const stateMachineArn = stateMachineArnFromEnv();

export const sfn = new SFNClient({ maxAttempts: MAX_ATTEMPTS, requestHandler: REQUEST_HANDLER });
export const STATE_MACHINE_ARN = stateMachineArn;

/** Executions are named by task id, so a task's execution ARN is derived, never stored. */
export function executionArn(taskId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`;
}
