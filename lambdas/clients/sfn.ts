/** One Step Functions client per container, and the ARN of a task's execution. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { CLIENT_OPTIONS } from '#clients/timeouts';
import { config } from '#config';

export const sfn = new SFNClient(CLIENT_OPTIONS);

/**
 * Executions are named by task id and attempt (`executionName`), so an execution ARN is derived, never
 * stored. The state machine ARN may be qualified (`…:stateMachine:<name>:live`, the alias executions
 * start through); an execution's ARN never is.
 */
export function executionArn(name: string, stateMachineArn: string = config.stateMachineArn): string {
  return executionArnOf(stateMachineArn, name);
}

/** The ARN of execution `name` of a state machine, given its ARN with or without a qualifier. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const unqualified = stateMachineArn.split(':').slice(0, 7).join(':');
  return `${unqualified.replace(':stateMachine:', ':execution:')}:${name}`;
}
