/** One Step Functions client per container, and the ARN of a task's execution. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { CLIENT_OPTIONS } from '#clients/timeouts';
import { config } from '#config';

export const sfn = new SFNClient(CLIENT_OPTIONS);

/** Executions are named by task id and attempt (`executionName`), so an execution ARN is derived, never stored. */
export function executionArn(name: string, stateMachineArn: string = config.stateMachineArn): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
