/**
 * The synthesized workflow records a too-large result by itself: run here on its own local Step
 * Functions endpoint that sends no status events at all (so the backstop cannot help), with the
 * real handler modules, DynamoDB Local and the local S3 of the shared local stack.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResultPointer } from '#domain/result-pointer';
import { LOCAL_CREDENTIALS } from '../../packages/local/src/dynamodb-local.ts';
import { inProcessLambda } from '../../packages/local/src/functions/in-process-lambda.ts';
import type { LocalLambda } from '../../packages/local/src/functions/local-lambda.ts';
import { type StepFunctionsEndpoint, startStepFunctionsEndpoint } from '../../packages/local/src/step-functions-endpoint.ts';
import { localValues } from '../../packages/local/src/template.ts';
import { findStateMachine } from '../../packages/local/src/template-resources.ts';
import { handlerModules } from '../../scripts/build-functions.ts';
import { demoTemplate, functionName } from '../infra/fixture.ts';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

const stack = useLocalStackEnv();
let endpoint: StepFunctionsEndpoint;
let sfn: SFNClient;
let ddb: DynamoDBClient;

beforeAll(async () => {
  const template = demoTemplate();
  const values = localValues(template);
  const machine = findStateMachine(template, values);
  // Every function in this process, from its source module (the environment is the test's).
  const modules: Record<string, string> = {
    ...handlerModules(),
    'count-primes': fileURLToPath(new URL('../../lib/demo/functions/count-primes.ts', import.meta.url)),
    'make-report': fileURLToPath(new URL('../../lib/demo/functions/make-report.ts', import.meta.url)),
  };
  const functions: LocalLambda[] = await Promise.all(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(async ([logicalId, r]) => {
        const module = modules[functionName(logicalId, r as unknown as Record<string, unknown>) ?? ''];
        if (!module) throw new Error(`no module for ${logicalId}`);
        const { handler } = (await import(pathToFileURL(module).href)) as { handler: never };
        return inProcessLambda({
          functionName: logicalId,
          arn: values.attributes[`${logicalId}.Arn`],
          timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
          handler,
        });
      }),
  );
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
      input: JSON.stringify({ taskId: row.id, type: 'report', input, attempt: 1 }),
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
