/**
 * Each capability construct builds alone from the inputs it declares (it never reaches into a
 * sibling), and creates only its own resources.
 */
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { ExecutionBackstop } from '../../../lib/task-api/backstop.ts';
import { ApiFirewall } from '../../../lib/task-api/firewall.ts';
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
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byOwner' }), Match.objectLike({ IndexName: 'openTasks' })],
    });
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
      'get-console',
      'get-openapi',
      'get-task',
      'get-task-result',
      'get-webhook-secret',
      'list-tasks',
      'rotate-webhook-secret',
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
