import { describe, expect, it } from 'vitest';
import { executionArnOf } from '../../lambdas/clients/sfn.ts';

describe('a task execution ARN', () => {
  const name = '0199a3f0-0000-7000-8000-000000000001';

  it.each([
    ['the state machine', 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tasks'],
    ['its live alias (what submit starts through)', 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tasks:live'],
    ['one of its versions', 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tasks:12'],
  ])('is the same from %s: executions are never qualified', (_, stateMachineArn) => {
    expect(executionArnOf(stateMachineArn, name)).toBe(`arn:aws:states:eu-west-1:123456789012:execution:Tasks:${name}`);
  });
});
