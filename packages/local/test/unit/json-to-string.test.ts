/**
 * `States.JsonToString` in Task Parameters on the local Step Functions endpoint: aws-local-stepfunctions
 * 3.0.0 strips backslashes from intrinsic results, so JSON holding a quote came out broken (a Lambda
 * error's Cause, a result with a quote). The endpoint evaluates it itself; this proves the text is
 * valid JSON equal to the value, as on AWS.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../src/dynamodb-local.ts';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import type { LocalLambda } from '../../src/functions/local-lambda.ts';
import { type StepFunctionsEndpoint, startStepFunctionsEndpoint } from '../../src/step-functions-endpoint.ts';

const SM_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:JsonToString';
const fn = (name: string, handler: (event: any) => unknown): LocalLambda => inProcessLambda({ functionName: name, timeoutSeconds: 2, handler });
const thrower = fn('Thrower', () => {
  const err = new Error('no data for "2099-01" \\ yet');
  err.name = 'TaskFailed';
  throw err;
});
const echo = fn('Echo', (event) => event);

let endpoint: StepFunctionsEndpoint;
beforeAll(async () => {
  endpoint = await startStepFunctionsEndpoint({
    stateMachineArn: SM_ARN,
    resolveLambda: (ref) => [thrower, echo].find((f) => f.arn === ref),
    log: () => {},
    definition: {
      StartAt: 'Work',
      States: {
        Work: { Type: 'Task', Resource: thrower.arn, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record' }], End: true },
        Record: {
          Type: 'Task',
          Resource: echo.arn,
          Parameters: {
            'error.$': 'States.JsonToString($.error)',
            'value.$': 'States.JsonToString($.value)',
            nested: { 'text.$': 'States.JsonToString($.value)' },
          },
          End: true,
        },
      },
    },
  });
});
afterAll(async () => endpoint?.close());

it('turns a value holding quotes and backslashes into the JSON text AWS would produce', async () => {
  const sfn = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const value = { says: 'he said "hi" \\o/' };
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'quotes', input: JSON.stringify({ value }) }));
  await endpoint.waitForExecution('quotes');
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  expect(described.status).toBe('SUCCEEDED');
  const output = JSON.parse(described.output!);
  expect(JSON.parse(output.value)).toEqual(value);
  expect(JSON.parse(output.nested.text)).toEqual(value);
  const error = JSON.parse(output.error);
  expect(error.Error).toBe('TaskFailed');
  expect(JSON.parse(error.Cause)).toMatchObject({ errorType: 'TaskFailed', errorMessage: 'no data for "2099-01" \\ yet' });
});
