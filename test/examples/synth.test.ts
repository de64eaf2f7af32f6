/**
 * The two example workers synthesize, are wired as documented, and pass cdk-nag AwsSolutions
 * with every acknowledgment reasoned (examples/lambda-worker, examples/state-machine-worker).
 */
import { App, type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ReportsStack } from '../../examples/lambda-worker/lib/reports-stack.ts';
import { ExportsStack, type ExportsStackProps } from '../../examples/state-machine-worker/lib/exports-stack.ts';
import { cfnText, functionId, grantsOf, grantsOfRole } from '../infra/fixture.ts';

const ENV = { env: { account: '123456789012', region: 'eu-west-1' } };

function build<S extends Stack>(make: (app: App) => S): { app: App; stack: S; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = make(app);
  return { app, stack, template: Template.fromStack(stack) };
}

function nagFindings(app: App, stack: Stack): string[] {
  return new AwsSolutionsChecks(app, { verbose: true })
    .validateScope(stack)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

/** The task workflow's definition (the state machine whose first state is the worker), tokens as text. */
function workflow(template: Template, startAt: string): { States: Record<string, any>; roleId: string } {
  for (const resource of Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[]) {
    const definition = JSON.parse(cfnText(resource.Properties.DefinitionString));
    if (definition.StartAt === startAt) return { States: definition.States, roleId: resource.Properties.RoleArn['Fn::GetAtt'][0] };
  }
  throw new Error(`no state machine starts at ${startAt}`);
}

/** Every cdk-nag acknowledgment in the stack, with its reason. */
function acknowledgments(stack: Stack): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const c of stack.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) out.push([id, String(reason)]);
    }
  }
  return out;
}

it.each([
  ['lambda-worker', () => build((a) => new ReportsStack(a, 'Reports')).stack],
  ['state-machine-worker', () => build((a) => new ExportsStack(a, 'Exports')).stack],
])('examples/%s: every cdk-nag acknowledgment carries a written reason', (_, make) => {
  const acks = acknowledgments(make());
  expect(acks.length).toBeGreaterThan(5);
  for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(40);
});

describe('examples/lambda-worker', () => {
  const { app, stack, template } = build((a) => new ReportsStack(a, 'Reports'));
  const workerId = stack.getLogicalId(stack.reportFunction.node.defaultChild as CfnElement);

  it('runs the report function as the worker, inside the shell (Catch -> RecordFailure, then RecordSuccess)', () => {
    const { States } = workflow(template, 'BuildReport');
    expect(States.BuildReport).toMatchObject({ Type: 'Task', Resource: `<${workerId}.Arn>`, Next: 'RecordSuccess' });
    expect(States.BuildReport.Catch).toContainEqual({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' });
    // No Parameters: the function receives the execution input { taskId, type, input }.
    expect(States.BuildReport.Parameters).toBeUndefined();
  });

  it('declares the monthly-report task type with its schema to the submit function', () => {
    const submitId = functionId(template, 'submit-task');
    const env = template.toJSON().Resources[submitId].Properties.Environment.Variables;
    expect(Object.keys(JSON.parse(env.TASK_TYPES))).toEqual(['monthly-report']);
  });

  it('grants the worker progress access only (grantProgress: UpdateItem on the task table), and TABLE_NAME', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    const grants = grantsOf(template, workerId).filter((g) => !g.action.startsWith('logs:') && !g.action.startsWith('xray:'));
    // Task rows only (keys shaped like a task id), never an idempotency claim or a lease.
    expect(grants).toEqual([{ action: 'dynamodb:UpdateItem', resource: `<${tableId}.Arn>`, keys: ['????????-????-7???-????-????????????'] }]);
    expect(template.toJSON().Resources[workerId].Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('passes cdk-nag AwsSolutions (stack-agnostic and with an account and region)', () => {
    expect(nagFindings(app, stack)).toEqual([]);
    const concrete = build((a) => new ReportsStack(a, 'Reports', ENV));
    expect(nagFindings(concrete.app, concrete.stack)).toEqual([]);
  });

  it('cdk-nag still reports what nothing acknowledges (the check can fail)', () => {
    const broken = build((a) => new ReportsStack(a, 'Reports'));
    const worker = broken.stack.reportFunction;
    worker.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    expect(nagFindings(broken.app, broken.stack).join('\n')).toContain('AwsSolutions-IAM5[Action::dynamodb:*]');
  });
});

describe('examples/state-machine-worker', () => {
  const make = (props: ExportsStackProps = {}) => build((a) => new ExportsStack(a, 'Exports', props));
  const { app, stack, template } = make();
  const jobId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).find((id) => id.startsWith('ExportJob'))!;

  it('starts the existing state machine with startExecution.sync:2, named after the task, output = its Output', () => {
    const { States } = workflow(template, 'RunExportJob');
    expect(States.RunExportJob).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::states:startExecution.sync:2',
      Parameters: {
        StateMachineArn: `<${jobId}>`,
        'Name.$': '$.taskId',
        Input: { 'dataset.$': '$.input.dataset', 'format.$': '$.input.format', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
      },
      OutputPath: '$.Output',
      Next: 'RecordSuccess',
    });
    expect(States.RunExportJob.Catch).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' }));
  });

  it('grants the workflow exactly what .sync:2 needs on the job state machine', () => {
    const { roleId } = workflow(template, 'RunExportJob');
    const grants = grantsOfRole(template, roleId).filter((g) => g.action.startsWith('states:') || g.action.startsWith('events:'));
    expect(grants).toEqual([
      { action: 'states:StartExecution', resource: `<${jobId}>` },
      { action: 'states:DescribeExecution', resource: expect.stringMatching(/:execution:<Select .*>\*$/) },
      { action: 'states:StopExecution', resource: expect.stringMatching(/:execution:<Select .*>\*$/) },
      ...['events:PutTargets', 'events:PutRule', 'events:DescribeRule'].map((action) => ({
        action,
        resource: 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      })),
    ]);
  });

  it('with existingStateMachineArn, runs that machine and creates none', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:nightly-export';
    const existing = make({ existingStateMachineArn: arn, ...ENV });
    expect(Object.keys(existing.template.findResources('AWS::StepFunctions::StateMachine'))).toHaveLength(1);
    expect(workflow(existing.template, 'RunExportJob').States.RunExportJob.Parameters.StateMachineArn).toBe(arn);
    expect(nagFindings(existing.app, existing.stack)).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions (stack-agnostic and with an account and region)', () => {
    expect(nagFindings(app, stack)).toEqual([]);
    const concrete = make(ENV);
    expect(nagFindings(concrete.app, concrete.stack)).toEqual([]);
  });
});
