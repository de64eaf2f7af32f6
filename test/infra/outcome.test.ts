/** CDK assertions for "every task reaches an outcome": the sweeper, its schedule, Retry blocks, the backstop's failure paths. */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RECORD_RETRY_ERRORS } from '../../lib/task-api/workflow.ts';
import { aliasId, buildStack, definitionOf, functionId } from './fixture.ts';

const { template } = buildStack();
const states = definitionOf(template).States;
const sweeper = functionId(template, 'sweep-tasks');
const reconcile = functionId(template, 'reconcile-execution');

describe('sweeper', () => {
  it('runs every 5 minutes by default, once per schedule (no retries)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { Ref: aliasId(template, 'sweep-tasks') }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  it('checks tasks older than SWEEP_AGE_SECONDS (default 300) with the state machine it may start', () => {
    const env = template.toJSON().Resources[sweeper].Properties.Environment.Variables;
    expect(env).toMatchObject({ SWEEP_AGE_SECONDS: '300', STATE_MACHINE_ARN: expect.anything() });
    expect(template.toJSON().Resources[sweeper].Properties.Timeout).toBe(60);
  });

  it('takes its interval and age from props', () => {
    const custom = buildStack({ api: { sweepInterval: Duration.minutes(2), sweepAge: Duration.minutes(10) } }).template;
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    const id = functionId(custom, 'sweep-tasks');
    expect(custom.toJSON().Resources[id].Properties.Environment.Variables.SWEEP_AGE_SECONDS).toBe('600');
  });

  it.each([
    [{ sweepInterval: Duration.seconds(30) }, /sweepInterval must be at least 1 minute/],
    [{ sweepAge: Duration.seconds(10) }, /sweepAge must be at least 1 minute/],
    [{ sweepInterval: Duration.hours(2) }, /sweepInterval must be at most/],
  ])('refuses %o', (api, message) => {
    expect(() => buildStack({ api })).toThrow(message);
  });
});

describe('Retry blocks in the workflow', () => {
  it.each(['RecordSuccess', 'RecordFailure', 'RecordResultTooLarge'])(
    '%s retries throttling and 5xx with full jitter, never a failed condition',
    (name) => {
      const retry = states[name]!.Retry as Array<Record<string, unknown>>;
      expect(retry).toEqual([
        { ErrorEquals: RECORD_RETRY_ERRORS, IntervalSeconds: 1, MaxAttempts: 8, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
      ]);
      expect(retry.flatMap((r) => r.ErrorEquals as string[])).not.toContain('DynamoDB.ConditionalCheckFailedException');
      expect(retry.flatMap((r) => r.ErrorEquals as string[])).toContain('DynamoDB.ProvisionedThroughputExceededException');
    },
  );

  it('the worker Lambda task retries Lambda throttling with full jitter', () => {
    const retry = states.CountPrimes!.Retry as Array<Record<string, unknown>>;
    expect(retry).toContainEqual({
      ErrorEquals: ['Lambda.TooManyRequestsException'],
      IntervalSeconds: 1,
      MaxAttempts: 6,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
      JitterStrategy: 'FULL',
    });
  });
});

describe('failure paths of the backstop', () => {
  const queues = template.findResources('AWS::SQS::Queue');
  const failureQueue = Object.keys(queues).find((id) => id.includes('ReconcileFailureQueue'))!;

  it('the reconcile function sends asynchronous invocations that failed every attempt to an SQS queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: reconcile },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
    });
    // The settings of the alias the rule invokes (the qualifier is the last part of its ARN).
    const config = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'))[0]!.Properties;
    expect(JSON.stringify(config.Qualifier)).toContain(`{"Ref":"${aliasId(template, 'reconcile-execution')}"}`);
  });

  it('both backstop queues (and every other queue) are encrypted and refuse plain HTTP', () => {
    expect(Object.keys(queues).filter((id) => id.includes('Backstop'))).toHaveLength(2);
    for (const queue of Object.values(queues)) expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    for (const id of Object.keys(queues)) {
      const policy = policies.find((p) => JSON.stringify(p.Properties.Queues).includes(id));
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});
