/** One Step Functions client per container, and the ARN of a task's execution. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { CLIENT_OPTIONS } from '#clients/timeouts';
import { config } from '#config';

export const sfn = new SFNClient(CLIENT_OPTIONS);

/** Executions are named by task id, so a task's execution ARN is derived, never stored. */
export function executionArn(taskId: string): string {
  return `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`;
}
