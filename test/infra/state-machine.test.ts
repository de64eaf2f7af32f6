import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { compensationOutcomeExpression } from '../../lambdas/domain/compensation.ts';
import { resultTooLargeProblem } from '../../lambdas/domain/result-pointer.ts';
import { transitionExpression, updateExpression } from '../../lambdas/domain/transitions.ts';
import { APPROVAL_SCHEMA } from '../../lib/demo/task-types.ts';
import { aliasId, buildStack, definitionOf, functionId, tableId } from './fixture.ts';

const { template } = buildStack();
const definition = definitionOf(template);
const states = definition.States;
const table = tableId(template);

const GUARDED = { attemptGuard: true } as const;

/** The ExpressionAttributeValues the construct must derive from a transition. */
function literalValues(to: 'succeeded' | 'failed', fields: string[]): Record<string, unknown> {
  const t = transitionExpression(to, fields, GUARDED);
  return Object.fromEntries(
    Object.entries(t.values).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : typeof v === 'string' ? { S: v } : { L: [] }]),
  );
}

/** The values every record derives from its execution: the attempt (the guard) and its history entry. */
const executionValues = (event: string, status: string, detail?: string) => ({
  ':attempt': { 'N.$': 'States.JsonToString($$.Execution.Input.attempt)' },
  ':history': {
    L: [{ M: { at: { 'S.$': '$$.State.EnteredTime' }, status: { S: status }, event: { S: event }, ...(detail && { detail: { S: detail } }) } }],
  },
});

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
        'AwaitApproval',
        'CheckRecordError',
        'ChooseTaskType',
        'CountPrimes',
        'FailPlanned',
        'FailWithMessage',
        'Failed',
        'FailsLeft',
        'MakeReport',
        'MorePrimesToCount',
        'QuickWork',
        'RecordFailure',
        'RecordResultTooLarge',
        'RecordSuccess',
        'RecordSuccessFailed',
        'ResultLeftToBackstop',
        'ResultTooLarge',
        'Sleep',
        'SucceedAfterFailures',
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
        { Variable: '$.type', StringEquals: 'flaky', Next: 'FailsLeft' },
        { Variable: '$.type', StringEquals: 'approval', Next: 'AwaitApproval' },
        { Variable: '$.type', StringEquals: 'quick', Next: 'QuickWork' },
      ],
      Default: 'UnknownTaskType',
    });
    // `quick` (on the Express state machine) reuses the states of `fail`, `sleep` and `primes` by its input's field.
    expect(states.QuickWork).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.input.message', IsPresent: true, Next: 'FailWithMessage' },
        { Variable: '$.input.seconds', IsPresent: true, Next: 'Sleep' },
      ],
      Default: 'CountPrimes',
    });
    expect(states.UnknownTaskType).toMatchObject({ Type: 'Fail' });
    expect(states.MorePrimesToCount).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.resumeFrom', IsPresent: true, Next: 'CountPrimes' }],
      Default: 'RecordSuccess',
    });
    expect(states.Sleep).toEqual({ Type: 'Wait', SecondsPath: '$.input.seconds', OutputPath: '$.input', Next: 'RecordSuccess' });
    expect(states.FailWithMessage).toEqual({ Type: 'Fail', Error: 'TaskFailed', CausePath: '$.input.message' });
    // flaky: fails while its attempt is within `failures`, then succeeds with the attempt count.
    expect(states.FailsLeft).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.attempt', NumericLessThanEqualsPath: '$.input.failures', Next: 'FailPlanned' }],
      Default: 'SucceedAfterFailures',
    });
    expect(states.SucceedAfterFailures).toMatchObject({ Type: 'Pass', Parameters: { 'attempts.$': '$.attempt' }, Next: 'RecordSuccess' });
  });

  it('waits for input with awaitInput: a .waitForTaskToken invocation of the await-input function’s live alias, with the token and the schema', () => {
    const alias = aliasId(template, 'await-input');
    expect(states.AwaitApproval).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 1800,
      Next: 'RecordSuccess',
      Parameters: {
        FunctionName: `<${alias}>`,
        Payload: {
          'taskId.$': '$$.Execution.Input.taskId',
          'attempt.$': '$$.Execution.Input.attempt',
          'token.$': '$$.Task.Token',
          name: 'approval',
          'prompt.$': '$.input.question',
          schema: JSON.stringify(APPROVAL_SCHEMA),
          timeoutSeconds: 1800,
        },
      },
    });
    // The input replaces the state: it is the result. A failure (a timeout too) is the task's failure.
    expect(states.AwaitApproval).not.toHaveProperty('ResultPath');
    expect((states.AwaitApproval!.Catch as Array<{ Next: string }>).map((c) => c.Next)).toEqual(['RecordResultTooLarge', 'RecordFailure']);
  });

  it('compensates in a state machine of its own: the chain, then its outcome recorded once on the task', () => {
    const compensation = definitionOf(template, 'compensation');
    expect(compensation.StartAt).toBe('ReleaseResources');
    // The demo chain is one Pass state: nothing in it can fail, so the failure record is not reachable (a Task chain gets it: parts.test.ts).
    expect(Object.keys(compensation.States).sort()).toEqual(['CompensationAlreadyRecorded', 'RecordCompensation', 'ReleaseResources'].sort());
    const t = compensationOutcomeExpression();
    expect(compensation.States.RecordCompensation!.Parameters).toMatchObject({
      UpdateExpression: updateExpression(t),
      ConditionExpression: t.condition,
      ExpressionAttributeValues: expect.objectContaining({
        ':compensation': { M: { status: { S: 'succeeded' }, completedAt: { 'S.$': '$$.State.EnteredTime' } } },
        ':attempt': { 'N.$': 'States.JsonToString($$.Execution.Input.attempt)' },
      }),
    });
    expect(
      (compensation.States.RecordCompensation!.Parameters as { ExpressionAttributeValues: object }).ExpressionAttributeValues,
    ).not.toHaveProperty(':now');
    expect(compensation.States.RecordCompensation).toMatchObject({ End: true });
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
    const t = transitionExpression('failed', ['error'], GUARDED);
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
    const t = transitionExpression('succeeded', ['result', 'progress'], GUARDED);
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
      UpdateExpression: `SET ${t.set.join(', ')} REMOVE #openShard, #sweepAt, #awaitingInput, #inputToken`,
      ConditionExpression: t.condition,
      ExpressionAttributeNames: t.names,
      ExpressionAttributeValues: {
        ...literalValues('succeeded', ['result', 'progress']),
        ...executionValues('succeeded', 'succeeded'),
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
    const t = transitionExpression('failed', ['error'], GUARDED);
    expect(t.condition).toContain('#attempt = :attempt');
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
      UpdateExpression: `SET ${t.set.join(', ')} REMOVE #openShard, #sweepAt, #awaitingInput, #inputToken`,
      ConditionExpression: t.condition,
      ExpressionAttributeNames: t.names,
      ExpressionAttributeValues: {
        ...literalValues('failed', ['error']),
        ...executionValues('failed', 'failed'),
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
