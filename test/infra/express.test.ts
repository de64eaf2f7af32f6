/**
 * expressTaskTypes: a second state machine, of type EXPRESS, of the same worker and shell (RecordRunning
 * first, worker Fail states recorded), with its own log group, the Standard's role, least-privilege
 * grants (submit, retry and the sweeper start it; nothing describes or stops it), and the prop checked.
 */
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { buildStack, functionId } from './fixture.ts';

type Json = Record<string, any>;

const { template } = buildStack();

function machines(t: Template): Array<[string, Json]> {
  return Object.entries(t.findResources('AWS::StepFunctions::StateMachine')) as Array<[string, Json]>;
}

function expressMachine(t: Template): [string, Json] {
  const found = machines(t).filter(([, r]) => r.Properties.StateMachineType === 'EXPRESS');
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The ASL with every token replaced by a placeholder. */
function aslOf(resource: Json): Json {
  const def = resource.Properties.DefinitionString;
  const text = typeof def === 'string' ? def : (def['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** Every Statement of the policies attached to the role of function `name`. */
function statementsOf(t: Template, name: string): Json[] {
  const fn = t.findResources('AWS::Lambda::Function')[functionId(t, name)] as Json;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const refersTo = (value: unknown, id: string) => JSON.stringify(value).includes(`"${id}"`);

describe('expressTaskTypes', () => {
  it('the demo stack has two task workflows: the Standard one and an Express one (and the compensation)', () => {
    const types = machines(template).map(([, r]) => r.Properties.StateMachineType ?? 'STANDARD');
    expect(types.sort()).toEqual(['EXPRESS', 'STANDARD', 'STANDARD']);
  });

  it('the Express one starts with RecordRunning, then the same states; worker Fail states and callbacks are recorded as failures', () => {
    const [, express] = expressMachine(template);
    const asl = aslOf(express);
    expect(asl.StartAt).toBe('RecordRunning');
    expect(asl.TimeoutSeconds).toBe(300);
    const running = asl.States.RecordRunning;
    expect(running.Resource).toMatch(/:states:::dynamodb:updateItem$/);
    expect(running.Next).toBe('ChooseTaskType');
    expect(running.Parameters.ConditionExpression).toContain('#status IN (:from0)');
    expect(running.Parameters.ConditionExpression).toContain('#attempt = :attempt');
    expect(running.Catch).toEqual([
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.recordError', Next: 'AlreadyFinished' },
    ]);
    for (const name of ['RecordSuccess', 'RecordFailure', 'AlreadyFinished', 'Failed', 'CountPrimes', 'QuickWork'])
      expect(asl.States[name]).toBeDefined();
    // The catch-all of every worker Task state, as on Standard.
    expect(asl.States.CountPrimes.Catch).toContainEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' });
    // A Fail state of the worker sends no event on Express: it becomes a recorded failure.
    expect(asl.States.FailWithMessage).toEqual({
      Type: 'Pass',
      Parameters: { Error: 'TaskFailed', 'Cause.$': '$.input.message' },
      ResultPath: '$.error',
      Next: 'RecordFailure',
    });
    // The shell's own Fail states stay.
    expect(asl.States.Failed.Type).toBe('Fail');
    // No task tokens on Express: a callback state (approval, a Standard type) fails the task if reached.
    expect(asl.States.AwaitApproval).toMatchObject({ Type: 'Pass', ResultPath: '$.error', Next: 'RecordFailure' });
    expect(Object.values(asl.States).filter((state: any) => /\.(sync|waitForTaskToken)$/.test(String(state.Resource)))).toEqual([]);
  });

  it('logs to its own group under /aws/vendedlogs/states/ at the workflow log level, traces, and shares the Standard role', () => {
    const [, express] = expressMachine(template);
    const [, standard] = machines(template).find(([, r]) => r.Metadata?.['Longrun:StateMachine'] === 'tasks')!;
    expect(express.Properties.RoleArn).toEqual(standard.Properties.RoleArn);
    expect(express.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(express.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    const groupId = express.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const group = template.findResources('AWS::Logs::LogGroup')[groupId] as Json;
    expect(group.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/.+-express$/);
    const { template: all } = buildStack({ api: { workflowLogLevel: sfn.LogLevel.ALL } });
    expect(expressMachine(all)[1].Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  it('submit, retry and the sweeper may start it; nothing may describe or stop it; submit knows which types run there', () => {
    const [expressId] = expressMachine(template);
    for (const name of ['submit-task', 'retry-task', 'sweep-tasks']) {
      const starts = statementsOf(template, name).filter((s) => refersTo(s.Resource, expressId));
      expect(starts.map((s) => s.Action)).toEqual(['states:StartExecution']);
    }
    for (const name of ['cancel-task', 'expire-task', 'get-task', 'reconcile-execution']) {
      expect(statementsOf(template, name).filter((s) => refersTo(s, expressId))).toEqual([]);
    }
    const env = (name: string) =>
      (template.findResources('AWS::Lambda::Function')[functionId(template, name)] as Json).Properties.Environment.Variables;
    expect(env('submit-task')).toMatchObject({ EXPRESS_TASK_TYPES: 'quick', EXPRESS_STATE_MACHINE_ARN: { Ref: expressId } });
    expect(env('sweep-tasks')).toMatchObject({ EXPRESS_TIMEOUT_SECONDS: '300', EXPRESS_STATE_MACHINE_ARN: { Ref: expressId } });
    expect(env('retry-task')).toMatchObject({ EXPRESS_STATE_MACHINE_ARN: { Ref: expressId } });
    expect(env('cancel-task').EXPRESS_STATE_MACHINE_ARN).toBeUndefined();
  });

  it('follows expressTimeout, and is absent without expressTaskTypes', () => {
    const { template: short } = buildStack({ api: { expressTimeout: Duration.seconds(90) } });
    expect(aslOf(expressMachine(short)[1]).TimeoutSeconds).toBe(90);
    const { template: none } = buildStack({ api: { expressTaskTypes: undefined } });
    expect(machines(none).filter(([, r]) => r.Properties.StateMachineType === 'EXPRESS')).toEqual([]);
    expect(JSON.stringify(none.toJSON())).not.toContain('EXPRESS_');
  });

  it('refuses task types that are not in taskTypes, an empty list and a timeout over 5 minutes, with a clear error', () => {
    expect(() => buildStack({ api: { expressTaskTypes: ['quick', 'nope'] } })).toThrow(
      "AsyncTaskApi: expressTaskTypes must be a subset of taskTypes; not in taskTypes: 'nope'",
    );
    expect(() => buildStack({ api: { expressTaskTypes: [] } })).toThrow('expressTaskTypes must list at least one task type');
    expect(() => buildStack({ api: { expressTimeout: Duration.minutes(6) } })).toThrow('expressTimeout must be at most 5 minutes');
  });
});
