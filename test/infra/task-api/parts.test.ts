/**
 * Each capability construct builds alone from the inputs it declares (it never reaches into a
 * sibling), and creates only its own resources.
 */
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describe, expect, it } from 'vitest';
import { awaitInput } from '../../../lib/task-api/await-input.ts';
import { ExecutionBackstop } from '../../../lib/task-api/backstop.ts';
import { TaskCompensation } from '../../../lib/task-api/compensation.ts';
import { TaskDeadlines } from '../../../lib/task-api/deadlines.ts';
import { ApiFirewall } from '../../../lib/task-api/firewall.ts';
import { liveAlias } from '../../../lib/task-api/function.ts';
import { TaskHttpApi } from '../../../lib/task-api/http-api.ts';
import { TaskTable } from '../../../lib/task-api/table.ts';
import { TaskWorkflow } from '../../../lib/task-api/workflow.ts';
import { cfnText } from '../fixture.ts';
import { partStack } from './part-stack.ts';

const logRetention = logs.RetentionDays.ONE_WEEK;

describe('capability constructs, each alone', () => {
  it('TaskTable: one table with the owner index and TTL', () => {
    const { stack } = partStack();
    new TaskTable(stack, 'Tasks');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'tasksByOwner' }), Match.objectLike({ IndexName: 'openTasks' })],
    });
  });

  it('TaskTable: keeps the 0.2.0 owner index, unchanged, for the deploy that upgrades (one index change per update)', () => {
    const { stack } = partStack();
    new TaskTable(stack, 'Tasks', { legacyOwnerIndex: true });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'tasksByOwner' }),
        Match.objectLike({
          IndexName: 'byOwner',
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [
              'type',
              'status',
              'progress',
              'createdAt',
              'updatedAt',
              'startedAt',
              'completedAt',
              'ttl',
              'error',
              'callbackUrl',
              'callback',
            ],
          },
        }),
        Match.objectLike({ IndexName: 'openTasks' }),
      ],
    });
  });

  it('TaskWorkflow: binds the awaitInput states of the worker to its own await-input function’s live alias', () => {
    const { stack, table } = partStack();
    const wait = awaitInput(stack, 'AskSomeone', { name: 'answer', prompt: 'Go?', timeout: Duration.minutes(10) });
    const workflow = new TaskWorkflow(stack, 'Workflow', { table, worker: wait, logRetention });
    expect(workflow.awaitInputFunction).toBeDefined();
    const definition = JSON.stringify(
      Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(workflow.stateMachine.node.defaultChild as never)],
    );
    expect(definition).toContain(`{"Ref":"${stack.getLogicalId(liveAlias(workflow.awaitInputFunction!).node.defaultChild as never)}"}`);
    expect(definition).toContain('lambda:invoke.waitForTaskToken');
    // Without awaitInput states, no function.
    const { stack: other, table: otherTable } = partStack();
    expect(
      new TaskWorkflow(other, 'Workflow', { table: otherTable, worker: new sfn.Pass(other, 'Work'), logRetention }).awaitInputFunction,
    ).toBeUndefined();
  });

  it('awaitInput: refuses a bad name, both prompts, a huge schema; a state left out of any worker fails the synth with the reason', () => {
    const { stack } = partStack();
    expect(() => awaitInput(stack, 'A', { name: 'bad name' })).toThrow(/name must be/);
    expect(() => awaitInput(stack, 'B', { name: 'x', prompt: 'p', promptPath: '$.p' })).toThrow(/not both/);
    expect(() => awaitInput(stack, 'C', { name: 'x', schema: { description: 'x'.repeat(9000) } })).toThrow(/under 8192 bytes/);
    const { stack: lonely } = partStack();
    const orphan = awaitInput(lonely, 'Orphan', { name: 'x' });
    new sfn.StateMachine(lonely, 'Elsewhere', { definitionBody: sfn.DefinitionBody.fromChainable(orphan) });
    expect(() => Template.fromStack(lonely)).toThrow(/not at the top level of an AsyncTaskApi's worker/);
  });

  it('TaskDeadlines: the schedule group, a role only EventBridge Scheduler of this account assumes, and the expire function', () => {
    const { stack, table, stateMachine } = partStack();
    const deadlines = new TaskDeadlines(stack, 'Deadlines', {
      table,
      stateMachine,
      executionsArn: 'arn:aws:states:us-east-1:111111111111:execution:given:*',
      environment: { TABLE_NAME: table.tableName },
      logRetention,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] },
    });
    expect(Object.keys(deadlines.schedulingEnvironment).sort()).toEqual(['DEADLINE_FUNCTION_ARN', 'DEADLINE_ROLE_ARN', 'DEADLINE_SCHEDULE_GROUP']);
  });

  it('TaskCompensation: its own state machine over the given table; a failing chain is recorded as a failed compensation', () => {
    const { stack, table } = partStack();
    const step = new tasks.EvaluateExpression(stack, 'Undo', { expression: '1 + 1' }).next(new sfn.Pass(stack, 'Done'));
    const compensation = new TaskCompensation(stack, 'Compensation', { table, chain: step, onFailure: true, logRetention });
    expect(compensation.compensateOn).toEqual(['cancelled', 'failed']);
    const definition = JSON.stringify(
      Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(compensation.stateMachine.node.defaultChild as never)],
    );
    for (const state of ['Undo', 'RecordCompensation', 'RecordCompensationFailure', 'CompensationFailed'])
      expect(definition).toContain(`\\"${state}\\"`);
  });

  it('TaskWorkflow: a state machine over the given table, with the worker and the shell states', () => {
    const { stack, table } = partStack();
    const workflow = new TaskWorkflow(stack, 'Workflow', { table, worker: new sfn.Pass(stack, 'Work'), timeout: Duration.minutes(5), logRetention });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const definition = JSON.stringify(
      Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(workflow.stateMachine.node.defaultChild as never)],
    );
    for (const state of ['Work', 'RecordSuccess', 'AlreadyFinished']) expect(definition).toContain(`\\"${state}\\"`);
    // Every execution of this state machine, and of no other.
    expect(cfnText(stack.resolve(workflow.executionsArn))).toMatch(
      new RegExp(
        `^arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stack.getLogicalId(workflow.stateMachine.node.defaultChild as never)}\\.Name>:\\*$`,
      ),
    );
  });

  it('TaskHttpApi: the REST API and one function per route, granted on the given table and state machine', () => {
    const { stack, table, stateMachine } = partStack();
    const http = new TaskHttpApi(stack, 'Http', {
      table,
      stateMachine,
      executionsArn: 'arn:aws:states:us-east-1:111111111111:execution:given:*',
      environment: { TABLE_NAME: table.tableName },
      taskTypes: { echo: { type: 'object' } },
      executionTimeout: Duration.hours(1),
      idempotencyKeyTtl: Duration.hours(24),
      throttle: { rateLimit: 5, burstLimit: 10 },
      consumers: [{ name: 'one' }],
      auth: { type: 'apiKey' },
      logRetention,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(Object.keys(http.functions).sort()).toEqual([
      'cancel-task',
      'create-watch-token',
      'get-console',
      'get-openapi',
      'get-task',
      'get-task-history',
      'get-task-result',
      'get-webhook-secret',
      'list-tasks',
      'retry-task',
      'rotate-webhook-secret',
      'send-input',
      'send-input-by-capability',
      'submit-task',
      'task-events',
    ]);
  });

  it('ApiFirewall: a regional web ACL associated with the given stage', () => {
    const { stack } = partStack();
    const api = new apigateway.RestApi(stack, 'GivenApi');
    api.root.addMethod('GET');
    new ApiFirewall(stack, 'Firewall', { stage: api.deploymentStage });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL' });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  it('ExecutionBackstop: a rule on the given state machine, the reconcile function, its dead-letter queue and its on-failure queue', () => {
    const { stack, table, stateMachine } = partStack();
    const backstop = new ExecutionBackstop(stack, 'Backstop', { table, stateMachine, environment: { TABLE_NAME: table.tableName }, logRetention });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(backstop.reconcileFunction.node.path).toContain('Backstop');
    expect(backstop.failureQueue.node.path).toContain('Backstop');
  });
});
