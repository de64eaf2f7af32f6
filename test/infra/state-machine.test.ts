import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resultTooLargeProblem } from '../../lambdas/domain/result-pointer.ts';
import { transitionExpression, updateExpression } from '../../lambdas/domain/transitions.ts';
import { buildStack, definitionOf, functionId, tableId } from './fixture.ts';

const { template } = buildStack();
const definition = definitionOf(template);
const states = definition.States;
const table = tableId(template);

/** The ExpressionAttributeValues the construct must derive from a transition. */
function literalValues(to: 'succeeded' | 'failed', fields: string[]): Record<string, unknown> {
  const t = transitionExpression(to, fields);
  return Object.fromEntries(Object.entries(t.values).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }]));
}

describe('state machine', () => {
  it('is STANDARD, times out after 1 hour, traces, and logs errors (the default level) without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
    });
    expect(definition.TimeoutSeconds).toBe(3600);
  });

  it('starts with the demo worker and names its states as the local stack expects', () => {
    expect(definition.StartAt).toBe('ChooseTaskType');
    expect(Object.keys(states).sort()).toEqual(
      [
        'AlreadyFinished',
        'CheckRecordError',
        'ChooseTaskType',
        'CountPrimes',
        'FailWithMessage',
        'Failed',
        'MakeReport',
        'MorePrimesToCount',
        'RecordFailure',
        'RecordResultTooLarge',
        'RecordSuccess',
        'RecordSuccessFailed',
        'ResultLeftToBackstop',
        'ResultTooLarge',
        'Sleep',
        'UnknownTaskType',
      ].sort(),
    );
    expect(states.ChooseTaskType).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.type', StringEquals: 'primes', Next: 'CountPrimes' },
        { Variable: '$.type', StringEquals: 'sleep', Next: 'Sleep' },
        { Variable: '$.type', StringEquals: 'report', Next: 'MakeReport' },
        { Variable: '$.type', StringEquals: 'fail', Next: 'FailWithMessage' },
      ],
      Default: 'UnknownTaskType',
    });
    expect(states.UnknownTaskType).toMatchObject({ Type: 'Fail' });
    expect(states.MorePrimesToCount).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.resumeFrom', IsPresent: true, Next: 'CountPrimes' }],
      Default: 'RecordSuccess',
    });
    expect(states.Sleep).toEqual({ Type: 'Wait', SecondsPath: '$.input.seconds', OutputPath: '$.input', Next: 'RecordSuccess' });
    expect(states.FailWithMessage).toEqual({ Type: 'Fail', Error: 'TaskFailed', CausePath: '$.input.message' });
  });

  it('invokes the version of the count-primes function it was published with (the whole state input in, only its payload out)', () => {
    const fnId = functionId(template, 'count-primes');
    const versionId = Object.entries(template.findResources('AWS::Lambda::Version')).find(([, v]) => v.Properties.FunctionName.Ref === fnId)![0];
    expect(states.CountPrimes).toMatchObject({ Type: 'Task', Resource: `<${versionId}>`, Next: 'MorePrimesToCount' });
    expect(states.CountPrimes).not.toHaveProperty('Parameters');
    const fn = template.toJSON().Resources[fnId].Properties;
    expect(fn).toMatchObject({ Timeout: 300, MemorySize: 512 });
  });

  it('catches every error of the worker task into RecordFailure, keeping it under $.error; a too-large output, which States.ALL misses, by name', () => {
    for (const worker of ['CountPrimes', 'MakeReport']) {
      expect(states[worker]!.Catch).toEqual([
        { ErrorEquals: ['States.DataLimitExceeded'], ResultPath: null, Next: 'RecordResultTooLarge' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
      ]);
    }
  });

  it('records a too-large result as a failure with the result-too-large problem, telling the worker what to do', () => {
    const t = transitionExpression('failed', ['error']);
    expect(states.RecordResultTooLarge).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::dynamodb:updateItem',
      Next: 'ResultTooLarge',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'ResultTooLarge' }],
    });
    expect(states.RecordResultTooLarge!.Parameters).toMatchObject({
      UpdateExpression: updateExpression(t),
      ConditionExpression: t.condition,
      ExpressionAttributeValues: expect.objectContaining({ ':error': { S: JSON.stringify(resultTooLargeProblem()) } }),
    });
    expect(states.ResultTooLarge).toMatchObject({ Type: 'Fail', Error: 'ResultTooLarge', Cause: resultTooLargeProblem().detail });
    expect(resultTooLargeProblem()).toMatchObject({
      type: 'https://longrun.dev/problems/result-too-large',
      detail: expect.stringContaining('storeLargeResult'),
    });
    // A result the table cannot hold (item over 400 KB): told apart by DynamoDB's message; anything else fails as before.
    expect((states.RecordSuccess!.Catch as unknown[])[1]).toEqual({
      ErrorEquals: ['DynamoDB.AmazonDynamoDBException', 'DynamoDB.ValidationException'],
      Next: 'CheckRecordError',
    });
    expect(states.CheckRecordError).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.Cause', StringMatches: '*Item size*exceeded the maximum allowed size*', Next: 'RecordResultTooLarge' }],
      Default: 'RecordSuccessFailed',
    });
    expect(states.RecordSuccessFailed).toEqual({ Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.Cause' });
  });

  it('records success with the succeeded transition of transitions.ts', () => {
    const t = transitionExpression('succeeded', ['result', 'progress']);
    expect(states.RecordSuccess).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::dynamodb:updateItem',
      ResultPath: null,
      End: true,
    });
    expect((states.RecordSuccess!.Catch as unknown[])[0]).toMatchObject({
      ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
      Next: 'AlreadyFinished',
    });
    expect(states.RecordSuccess!.Parameters).toEqual({
      TableName: `<${table}>`,
      Key: { id: { 'S.$': '$$.Execution.Input.taskId' } },
      UpdateExpression: `SET ${t.set.join(', ')} REMOVE #openShard, #sweepAt`,
      ConditionExpression: t.condition,
      ExpressionAttributeNames: t.names,
      ExpressionAttributeValues: {
        ...literalValues('succeeded', ['result', 'progress']),
        ':now': { 'S.$': '$$.State.EnteredTime' },
        ':result': { 'S.$': 'States.JsonToString($)' },
        ':progress': { M: { percent: { N: '100' } } },
      },
    });
    expect(states.AlreadyFinished).toMatchObject({ Type: 'Succeed' });
    // Out of retries for anything else: the execution still succeeds, its output the worker's, for the backstop to record.
    const catchers = states.RecordSuccess!.Catch as Array<{ ErrorEquals: string[] }>;
    expect(catchers.at(-1)).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'ResultLeftToBackstop' });
    expect(states.ResultLeftToBackstop).toMatchObject({ Type: 'Succeed' });
  });

  it('records failure with the failed transition, then fails with the worker error', () => {
    const t = transitionExpression('failed', ['error']);
    expect(states.RecordFailure).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::dynamodb:updateItem',
      ResultPath: null,
      Next: 'Failed',
      // Already finished, or out of retries: the execution fails with the worker's error either way.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'Failed' }],
    });
    expect(states.RecordFailure!.Parameters).toEqual({
      TableName: `<${table}>`,
      Key: { id: { 'S.$': '$$.Execution.Input.taskId' } },
      UpdateExpression: `SET ${t.set.join(', ')} REMOVE #openShard, #sweepAt`,
      ConditionExpression: t.condition,
      ExpressionAttributeNames: t.names,
      ExpressionAttributeValues: {
        ...literalValues('failed', ['error']),
        ':now': { 'S.$': '$$.State.EnteredTime' },
        ':error': { 'S.$': 'States.JsonToString($.error)' },
      },
    });
    expect(states.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  it('honours executionTimeout', async () => {
    const { Duration } = await import('aws-cdk-lib');
    const custom = definitionOf(buildStack({ api: { executionTimeout: Duration.minutes(5) } }).template);
    expect(custom.TimeoutSeconds).toBe(300);
  });
});
