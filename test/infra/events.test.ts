import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { aliasId, buildStack, stateMachineId } from './fixture.ts';

const { template } = buildStack();

describe('reconcile backstop', () => {
  it("routes the state machine status changes (however qualified) to the reconcile function's live alias, with retries and a DLQ", () => {
    const reconcile = aliasId(template, 'reconcile-execution');
    const stateMachine = { Ref: stateMachineId(template) };
    // The backstop's dead-letter queue (its on-failure queue and the push parts' queues are tested elsewhere).
    const queues = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.includes('ReconcileDeadLetterQueue'));
    expect(queues).toHaveLength(1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [stateMachine, { prefix: { 'Fn::Join': ['', [stateMachine, ':']] } }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: reconcile },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: Match.anyValue() }),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queues[0], 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { Ref: reconcile },
    });
  });

  it('keeps the dead-letter queue encrypted and TLS-only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });
});
