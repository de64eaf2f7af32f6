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

type GivenTopic = (stack: Stack) => sns.ITopic;

export function smallMonitoredStack(
  props: Partial<TaskMonitoringProps> & { topic?: GivenTopic; topics?: { warning?: GivenTopic; ok?: GivenTopic }; withStreamReader?: boolean } = {},
): {
  stack: Stack;
  monitoring: TaskMonitoring;
  template: Template;
  reader?: lambda.Function;
} {
  const app = new App();
  const stack = new Stack(app, 'Small', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'SubmitTaskFunction', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const reader = props.withStreamReader
    ? new lambda.Function(stack, 'ForwardFunction', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      })
    : undefined;
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
    functions: reader ? [fn, reader] : [fn],
    ...(reader && { streamReaders: [reader] }),
    stateMachine,
    table,
    webAcl,
    deadLetterQueues: [dlq],
    ...props,
    ...(props.topic && { alarmTopic: props.topic(stack) }),
    ...(props.topics?.warning && { warningTopic: props.topics.warning(stack) }),
    ...(props.topics?.ok && { okTopic: props.topics.ok(stack) }),
  });
  return { stack, monitoring, template: Template.fromStack(stack), reader };
}
