/**
 * The local Step Functions endpoint, through the real @aws-sdk/client-sfn, with a small
 * hand-written ASL; its DynamoDB tasks run against a real DynamoDB Local.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from '../../src/dynamodb-local.ts';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import { type ExecutionStatusChangeEvent, StepFunctionsEndpoint, startStepFunctionsEndpoint } from '../../src/step-functions-endpoint.ts';

const SM_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:TestMachine';
const FN_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Worker';
const TABLE = 'sfn-test';

class CustomError extends Error {
  override name = 'CustomError';
}

const lambdaCalls: Array<{ event: any; context: any }> = [];
const worker = inProcessLambda({
  functionName: 'Worker',
  arn: FN_ARN,
  timeoutSeconds: 2,
  handler: async (event: any, context: any) => {
    lambdaCalls.push({ event, context: { name: context.functionName, remaining: context.getRemainingTimeInMillis() } });
    if (event.throw) throw new CustomError(event.throw);
    if (event.hang) await new Promise((r) => setTimeout(r, 5_000));
    return { doubled: event.n * 2 };
  },
});

const definition = {
  StartAt: 'Route',
  TimeoutSeconds: 60,
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        // aws-local-stepfunctions 3.0.0: `IsPresent: false` never matches; `Not` of `IsPresent: true` works.
        { Not: { Variable: '$.mode', IsPresent: true }, Next: 'Work' },
        { Variable: '$.mode', StringEquals: 'fail', Next: 'Boom' },
        { Variable: '$.mode', StringEquals: 'wait', Next: 'Sleep' },
        { Variable: '$.mode', StringEquals: 'times', Next: 'First' },
        { Variable: '$.mode', StringEquals: 'ddb', Next: 'Conditional' },
        { Variable: '$.mode', StringEquals: 'invoke', Next: 'Invoke' },
      ],
      Default: 'Work',
    },
    Work: {
      Type: 'Task',
      Resource: FN_ARN,
      Catch: [{ ErrorEquals: ['CustomError'], ResultPath: '$.caught', Next: 'Caught' }],
      Next: 'Done',
    },
    Invoke: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FN_ARN, 'Payload.$': '$' },
      OutputPath: '$.Payload',
      Next: 'Done',
    },
    Caught: { Type: 'Pass', End: true },
    Boom: { Type: 'Fail', Error: 'Demo.Failure', Cause: 'asked to fail' },
    Sleep: { Type: 'Wait', Seconds: 30, Next: 'Done' },
    First: {
      Type: 'Pass',
      Parameters: { 'first.$': '$$.State.EnteredTime', 'start.$': '$$.Execution.StartTime', 'id.$': '$$.Execution.Id' },
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'Second' },
    Second: {
      Type: 'Pass',
      Parameters: { 'first.$': '$.first', 'start.$': '$.start', 'id.$': '$.id', 'second.$': '$$.State.EnteredTime' },
      End: true,
    },
    Conditional: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        TableName: TABLE,
        Key: { pk: { 'S.$': '$.key' } },
        UpdateExpression: 'SET #s = :s, #t = :t',
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#s': 'status', '#t': 'at' },
        ExpressionAttributeValues: { ':s': { S: 'done' }, ':t': { 'S.$': '$$.State.EnteredTime' } },
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.ddbError', Next: 'Caught' }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

let ddbLocal: DynamoDbLocal;
let ddb: DynamoDBClient;
let endpoint: StepFunctionsEndpoint;
let shortTimeout: StepFunctionsEndpoint;
let sfn: SFNClient;
const events: ExecutionStatusChangeEvent[] = [];
const timeoutEvents: ExecutionStatusChangeEvent[] = [];

function client(url: string): SFNClient {
  return new SFNClient({ endpoint: url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

async function waitForStatus(c: SFNClient, executionArn: string, predicate: (s: string) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await c.send(new DescribeExecutionCommand({ executionArn }));
    if (predicate(d.status!)) return d;
    if (Date.now() > deadline) throw new Error(`still ${d.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const closed = (s: string) => s !== 'RUNNING';

beforeAll(async () => {
  ddbLocal = await startDynamoDbLocal();
  ddb = new DynamoDBClient({ endpoint: ddbLocal.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const resolveLambda = (ref: string) => (ref === FN_ARN || ref === 'Worker' ? worker : undefined);
  endpoint = await startStepFunctionsEndpoint({
    definition,
    stateMachineArn: SM_ARN,
    resolveLambda,
    dynamodb: ddb,
    onStatusChange: (e) => {
      events.push(e);
    },
    log: () => {},
  });
  shortTimeout = await startStepFunctionsEndpoint({
    definition,
    stateMachineArn: SM_ARN,
    resolveLambda,
    dynamodb: ddb,
    timeoutSecondsOverride: 1,
    onStatusChange: (e) => {
      timeoutEvents.push(e);
      if (e.detail.status === 'RUNNING') throw new Error('a failing target must not break the endpoint');
    },
    log: () => {},
  });
  sfn = client(endpoint.endpoint);
}, 90_000);

afterAll(async () => {
  await endpoint?.close();
  await shortTimeout?.close();
  ddb?.destroy();
  await ddbLocal?.stop();
});

describe('local Step Functions endpoint (real @aws-sdk/client-sfn)', () => {
  it('runs a Lambda task to SUCCEEDED with epoch-second dates and the output', async () => {
    const before = Date.now();
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'ok-1', input: JSON.stringify({ n: 21 }) }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:TestMachine:ok-1');
    expect(started.startDate).toBeInstanceOf(Date);
    expect(started.startDate!.getTime()).toBeGreaterThanOrEqual(before - 1);
    const d = await waitForStatus(sfn, started.executionArn!, closed);
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ doubled: 42 });
    expect(d.input).toBe('{"n":21}');
    expect(d.stopDate!.getTime()).toBeGreaterThanOrEqual(d.startDate!.getTime());
    const call = lambdaCalls.find((c) => c.event.n === 21)!;
    expect(call.context.name).toBe('Worker');
    expect(call.context.remaining).toBeGreaterThan(0);
    expect(call.context.remaining).toBeLessThanOrEqual(2_000);
  });

  it('also binds arn:aws:states:::lambda:invoke (FunctionName + Payload)', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'invoke-1', input: JSON.stringify({ mode: 'invoke', n: 5 }) }),
    );
    const d = await waitForStatus(sfn, executionArn!, closed);
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ doubled: 10 });
  });

  it('keeps a thrown error name for Catch, with the Lambda-shaped JSON cause', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'throw-1', input: JSON.stringify({ throw: 'nope' }) }),
    );
    const d = await waitForStatus(sfn, executionArn!, closed);
    expect(d.status).toBe('SUCCEEDED');
    const out = JSON.parse(d.output!);
    expect(out.caught.Error).toBe('CustomError');
    expect(JSON.parse(out.caught.Cause)).toMatchObject({ errorType: 'CustomError', errorMessage: 'nope' });
  });

  it('StartExecution is idempotent for the same name and input while running', async () => {
    const input = JSON.stringify({ mode: 'wait' });
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input }));
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.startDate!.getTime()).toBe(a.startDate!.getTime());
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input: JSON.stringify({ mode: 'wait', x: 1 }) })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
    await sfn.send(new StopExecutionCommand({ executionArn: a.executionArn }));
    // closed: even the same input is refused now
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('StopExecution aborts: ABORTED with error/cause, and an ABORTED event is emitted', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'stop-1', input: JSON.stringify({ mode: 'wait' }) }),
    );
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'by the owner' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the owner' });
    await endpoint.waitForExecution('stop-1');
    const mine = events.filter((e) => e.detail.name === 'stop-1');
    expect(mine.map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
    expect(mine[1]).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '000000000000',
      region: 'us-east-1',
      resources: [executionArn],
      detail: { executionArn, stateMachineArn: SM_ARN, status: 'ABORTED', error: 'Cancelled', cause: 'by the owner', input: '{"mode":"wait"}' },
    });
    expect(typeof mine[1]!.detail.stopDate).toBe('number');
  });

  it('a Fail state ends FAILED with its error and cause, and emits FAILED', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'fail-1', input: JSON.stringify({ mode: 'fail' }) }),
    );
    const d = await waitForStatus(sfn, executionArn!, closed);
    expect(d).toMatchObject({ status: 'FAILED', error: 'Demo.Failure', cause: 'asked to fail' });
    expect(d.output).toBeUndefined();
    await endpoint.waitForExecution('fail-1');
    const last = events.filter((e) => e.detail.name === 'fail-1').at(-1)!;
    expect(last.detail).toMatchObject({ status: 'FAILED', error: 'Demo.Failure', cause: 'asked to fail', output: null });
  });

  it('honours the top-level TimeoutSeconds (overridden): TIMED_OUT + event, even if the target throws', async () => {
    const c = client(shortTimeout.endpoint);
    const { executionArn } = await c.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'slow-1', input: JSON.stringify({ mode: 'wait' }) }),
    );
    const d = await waitForStatus(c, executionArn!, closed, 10_000);
    expect(d.status).toBe('TIMED_OUT');
    expect(d.stopDate!.getTime() - d.startDate!.getTime()).toBeGreaterThanOrEqual(900);
    await shortTimeout.waitForExecution('slow-1');
    expect(timeoutEvents.filter((e) => e.detail.name === 'slow-1').map((e) => e.detail.status)).toEqual(['RUNNING', 'TIMED_OUT']);
    c.destroy();
  });

  it('counts state transitions per execution and by state', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'count-1', input: JSON.stringify({ n: 1 }) }));
    await waitForStatus(sfn, executionArn!, closed);
    const stats = await endpoint.waitForExecution('count-1');
    expect(stats).toEqual({ status: 'SUCCEEDED', transitions: 3, byState: { Route: 1, Work: 1, Done: 1 } });
    expect(endpoint.getExecutionStats('nope')).toBeUndefined();
  });

  it('$$.State.EnteredTime is a fresh ISO time for each state; $$.Execution is the real one', async () => {
    const before = new Date().toISOString();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'times-1', input: JSON.stringify({ mode: 'times' }) }),
    );
    const d = await waitForStatus(sfn, executionArn!, closed);
    expect(d.status).toBe('SUCCEEDED');
    const out = JSON.parse(d.output!);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    expect(out.first).toMatch(iso);
    expect(out.second).toMatch(iso);
    expect(out.first >= before).toBe(true);
    expect(Date.parse(out.second) - Date.parse(out.first)).toBeGreaterThanOrEqual(900);
    expect(out.second <= d.stopDate!.toISOString()).toBe(true);
    expect(out.id).toBe(executionArn);
    expect(Math.abs(Date.parse(out.start) - d.startDate!.getTime())).toBeLessThan(1000);
  });

  it('DynamoDB tasks run on DynamoDB Local; a failed condition is DynamoDB.ConditionalCheckFailedException', async () => {
    const start = (name: string) =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name, input: JSON.stringify({ mode: 'ddb', key: 'k1' }) }));
    const first = await start('ddb-1');
    const d1 = await waitForStatus(sfn, first.executionArn!, closed);
    expect(d1.status).toBe('SUCCEEDED');
    const item = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'k1' } } }));
    expect(item.Item?.status).toEqual({ S: 'done' });
    expect(item.Item?.at?.S).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const second = await start('ddb-2');
    const d2 = await waitForStatus(sfn, second.executionArn!, closed);
    expect(d2.status).toBe('SUCCEEDED');
    expect(JSON.parse(d2.output!).ddbError.Error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect((await endpoint.waitForExecution('ddb-2'))!.byState).toEqual({ Route: 1, Conditional: 1, Caught: 1 });
  });

  it('answers protocol errors like AWS', async () => {
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:TestMachine:none' })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN.replace('TestMachine', 'Other'), name: 'x' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'bad-input', input: '{' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter: 'SUCCEEDED' }));
    expect(list.executions!.length).toBeGreaterThan(0);
    expect(list.executions!.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });

  it('refuses to bind Task resources it cannot run locally (never calls AWS)', () => {
    expect(
      () =>
        new StepFunctionsEndpoint({
          definition: { StartAt: 'X', States: { X: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } },
          stateMachineArn: SM_ARN,
        }),
    ).toThrow(/not supported locally/);
  });
});
