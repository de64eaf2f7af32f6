/**
 * The synthesized workflow records a too-large result by itself: run here on its own local Step
 * Functions endpoint that sends no status events at all (so the backstop cannot help), with the
 * real handler modules, DynamoDB Local and the local S3 of the shared local stack.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResultPointer } from '#domain/result-pointer';
import { LOCAL_CREDENTIALS } from '../../lib/local/dynamodb-local.ts';
import {
  type LambdaHandler,
  type LocalLambda,
  type StepFunctionsEndpoint,
  startStepFunctionsEndpoint,
} from '../../lib/local/step-functions-endpoint.ts';
import { findFunctions, findStateMachine, localValues, synthesizeTemplate } from '../../lib/local/template.ts';
import { REPO_ROOT } from '../../lib/task-function.ts';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

const stack = useLocalStackEnv();
let endpoint: StepFunctionsEndpoint;
let sfn: SFNClient;
let ddb: DynamoDBClient;

beforeAll(async () => {
  const template = await synthesizeTemplate();
  const values = localValues(template);
  const machine = findStateMachine(template, values);
  const functions: LocalLambda[] = findFunctions(template, values).map((fn) => ({
    functionName: fn.functionName,
    arn: fn.arn,
    timeoutSeconds: fn.timeoutSeconds,
    load: async () => (await import(pathToFileURL(resolve(REPO_ROOT, fn.entry)).href)).handler as LambdaHandler,
  }));
  ddb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  // The table of the shared local stack; this template's table has the same (logical id) name.
  machine.definition = JSON.parse(
    JSON.stringify(machine.definition).replaceAll(
      values.refs[Object.keys(template.Resources).find((id) => template.Resources[id]!.Type === 'AWS::DynamoDB::Table')!]!,
      stack.tableName,
    ),
  );
  endpoint = await startStepFunctionsEndpoint({
    definition: machine.definition,
    stateMachineArn: machine.arn,
    resolveLambda: (ref) => functions.find((f) => ref === f.arn || ref.startsWith(`${f.arn}:`) || ref === f.functionName),
    dynamodb: ddb,
    // No onStatusChange: no execution status event reaches anyone.
    log: () => {},
  });
  sfn = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}, 120_000);

afterAll(async () => {
  await endpoint?.close();
  sfn?.destroy();
  ddb?.destroy();
});

async function run(input: Record<string, unknown>, inputText = JSON.stringify(input)) {
  const row = await putRow({ owner: newCaller().owner, type: 'report', input: inputText });
  await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: endpoint.stateMachineArn,
      name: row.id,
      input: JSON.stringify({ taskId: row.id, type: 'report', input }),
    }),
  );
  const stats = await endpoint.waitForExecution(row.id);
  return { stats: stats!, row: (await getRow(row.id))! };
}

describe('a too-large result, with no status event delivered', () => {
  it('over 256 KB without the helper: States.DataLimitExceeded is caught by name and recorded as result-too-large', async () => {
    const { stats, row } = await run({ sizeKb: 300, inline: true });
    expect(stats.byState).toMatchObject({ MakeReport: 1, RecordResultTooLarge: 1, ResultTooLarge: 1 });
    expect(stats.status).toBe('FAILED');
    expect(row.status).toBe('failed');
    expect(JSON.parse(row.error!)).toMatchObject({
      type: 'https://longrun.dev/problems/result-too-large',
      detail: expect.stringContaining('storeLargeResult'),
    });
  });

  it("a record that would pass 400 KB: DynamoDB's item-size refusal is recorded as result-too-large", async () => {
    const input = { sizeKb: 30, inline: true, label: 'x'.repeat(190_000) };
    const { stats, row } = await run(input);
    expect(stats.byState).toMatchObject({ RecordSuccess: 1, CheckRecordError: 1, RecordResultTooLarge: 1, ResultTooLarge: 1 });
    expect(row.status).toBe('failed');
    expect(JSON.parse(row.error!).type).toBe('https://longrun.dev/problems/result-too-large');
  });

  it('through the helper: the workflow carries only the pointer, and the task succeeds', async () => {
    const { stats, row } = await run({ sizeKb: 1024 });
    expect(stats.status).toBe('SUCCEEDED');
    expect(row.status).toBe('succeeded');
    expect(isResultPointer(JSON.parse(row.result!))).toBe(true);
    expect(row.result!.length).toBeLessThan(200);
  });
});
