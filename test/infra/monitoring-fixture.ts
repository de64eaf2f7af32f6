/** A small stack holding one of each part TaskMonitoring watches, for its own tests. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { TaskMonitoring, type TaskMonitoringProps } from '../../lib/task-api/monitoring.ts';

export function smallMonitoredStack(props: Partial<TaskMonitoringProps> & { topic?: (stack: Stack) => sns.ITopic } = {}): {
  stack: Stack;
  monitoring: TaskMonitoring;
  template: Template;
} {
  const app = new App();
  const stack = new Stack(app, 'Small', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'SubmitTaskFunction', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const api = new apigateway.RestApi(stack, 'Api', { deployOptions: { stageName: 'v1', metricsEnabled: true } });
  api.root.addResource('tasks').addMethod('POST', new apigateway.LambdaIntegration(fn));
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  });
  const stateMachine = new sfn.StateMachine(stack, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')),
    timeout: Duration.hours(1),
  });
  const dlq = new sqs.Queue(stack, 'ReconcileDeadLetterQueue');
  const webAcl = new wafv2.CfnWebACL(stack, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: 'LongrunWebAcl' },
  });
  const monitoring = new TaskMonitoring(stack, 'Monitoring', {
    api,
    routes: [{ method: 'POST', path: '/tasks' }],
    functions: [fn],
    stateMachine,
    table,
    webAcl,
    deadLetterQueues: [dlq],
    ...(props.topic && { alarmTopic: props.topic(stack) }),
    ...props,
  });
  return { stack, monitoring, template: Template.fromStack(stack) };
}
