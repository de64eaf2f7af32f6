/**
 * The callback pattern on the local Step Functions endpoint, through the real @aws-sdk/client-sfn:
 * `lambda:invoke.waitForTaskToken` hands the function `$$.Task.Token`, then the state waits for
 * SendTaskSuccess / SendTaskFailure, its HeartbeatSeconds (reset by SendTaskHeartbeat) or its
 * TimeoutSeconds; a token of an execution that ended answers TaskTimedOut. And several state
 * machines on one endpoint, each with its own executions.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../src/dynamodb-local.ts';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import { type StepFunctionsEndpoint, startStepFunctionsEndpoint } from '../../src/step-functions-endpoint.ts';

const SM_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:Waits';
const OTHER_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:Other';
const FN_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Recorder';

/** What the recorder function was handed, by execution (`taskId` of the payload). */
const tokens = new Map<string, string>();
const recorder = inProcessLambda({
  functionName: 'Recorder',
  arn: FN_ARN,
  timeoutSeconds: 2,
  handler: async (event: { id: string; token: string; fail?: boolean }) => {
    if (event.fail) throw new Error('cannot record');
    tokens.set(event.id, event.token);
    return {};
  },
});

const waitState = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: FN_ARN, Payload: { 'id.$': '$$.Execution.Name', 'token.$': '$$.Task.Token', 'fail.$': '$.fail' } },
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
  End: true,
  ...extra,
});

const definition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.mode', StringEquals: 'timeout', Next: 'ShortWait' },
        { Variable: '$.mode', StringEquals: 'heartbeat', Next: 'HeartbeatWait' },
      ],
      Default: 'Wait',
    },
    Wait: waitState({}),
    ShortWait: waitState({ TimeoutSeconds: 1 }),
    HeartbeatWait: waitState({ HeartbeatSeconds: 1, TimeoutSeconds: 30 }),
    Caught: { Type: 'Pass', End: true },
  },
};

let endpoint: StepFunctionsEndpoint;
let sfn: SFNClient;

async function start(name: string, input: Record<string, unknown> = {}, stateMachineArn = SM_ARN) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ fail: false, mode: 'plain', ...input }) }),
  );
  return executionArn!;
}

async function tokenOf(name: string): Promise<string> {
  for (let i = 0; i < 200 && !tokens.has(name); i++) await new Promise((r) => setTimeout(r, 20));
  return tokens.get(name)!;
}

async function outcome(executionArn: string) {
  for (let i = 0; i < 300; i++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return { status: d.status, output: d.output === undefined ? undefined : JSON.parse(d.output) };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('still running');
}

beforeAll(async () => {
  endpoint = await startStepFunctionsEndpoint({
    definition,
    stateMachineArn: SM_ARN,
    machines: [
      { definition: { StartAt: 'Only', States: { Only: { Type: 'Pass', Result: { other: true }, End: true } } }, stateMachineArn: OTHER_ARN },
    ],
    resolveLambda: (ref) => (ref === FN_ARN ? recorder : undefined),
    log: () => {},
  });
  sfn = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  await endpoint?.close();
  sfn?.destroy();
});

describe('.waitForTaskToken', () => {
  it('hands the function a token, waits, and resumes with SendTaskSuccess output as the state result; the token then works no more', async () => {
    const arn = await start('ok-1');
    const token = await tokenOf('ok-1');
    expect(token).toMatch(/^local-/);
    await new Promise((r) => setTimeout(r, 200));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
    expect(await outcome(arn)).toEqual({ status: 'SUCCEEDED', output: { approved: true } });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('SendTaskFailure fails the state with its error and cause (caught here)', async () => {
    const arn = await start('fail-1');
    await sfn.send(new SendTaskFailureCommand({ taskToken: await tokenOf('fail-1'), error: 'Rejected', cause: 'no' }));
    expect((await outcome(arn)).output.error).toEqual({ Error: 'Rejected', Cause: 'no' });
  });

  it('TimeoutSeconds fails the state with States.Timeout', async () => {
    const arn = await start('timeout-1', { mode: 'timeout' });
    await tokenOf('timeout-1');
    expect((await outcome(arn)).output.error.Error).toBe('States.Timeout');
  });

  it('HeartbeatSeconds fails the state with States.HeartbeatTimeout unless SendTaskHeartbeat comes in time', async () => {
    const arn = await start('heartbeat-1', { mode: 'heartbeat' });
    const token = await tokenOf('heartbeat-1');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 600));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    expect((await outcome(arn)).output.error.Error).toBe('States.HeartbeatTimeout');
  });

  it('a function that fails to take the token fails the state', async () => {
    const arn = await start('recorder-fails', { fail: true });
    expect((await outcome(arn)).output.error.Error).toBe('Error');
  });

  it('StopExecution ends the wait: its token answers TaskTimedOut; an unknown one TaskDoesNotExist, garbage InvalidToken', async () => {
    const arn = await start('stopped-1');
    const token = await tokenOf('stopped-1');
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'local-nobody', output: '{}' }))).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: '' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('output that is not JSON is refused, and the wait goes on', async () => {
    const arn = await start('bad-output');
    const token = await tokenOf('bad-output');
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '1' }));
    expect((await outcome(arn)).status).toBe('SUCCEEDED');
  });
});

describe('several state machines on one endpoint', () => {
  it('each runs its own executions, listed and described by its own ARN; the same name may exist in both', async () => {
    const arn = await start('shared-name', {}, OTHER_ARN);
    expect(await outcome(arn)).toEqual({ status: 'SUCCEEDED', output: { other: true } });
    const mainArn = await start('shared-name');
    expect(mainArn).not.toBe(arn);
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: OTHER_ARN }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['shared-name']);
    expect(endpoint.getExecutionStats(arn)?.status).toBe('SUCCEEDED');
    expect(endpoint.getExecutionStats('shared-name')?.status).toBe('RUNNING');
    await sfn.send(new StopExecutionCommand({ executionArn: mainArn }));
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Nope', name: 'x', input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});
