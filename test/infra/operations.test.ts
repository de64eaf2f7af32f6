/**
 * The operating side of the deployed stack: every function and dead-letter queue has its alarm (so
 * a new one cannot be forgotten), alarms reach the topic, reserved concurrency per group.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { LongrunStack } from '../../lib/demo/longrun-stack.ts';
import { buildStack, cfnText, functionId } from './fixture.ts';

type Json = Record<string, any>;

function alarmsOf(template: Template): Json[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Json);
}

/** Metric name and dimensions (rendered `<Id>` / `<Id.Attr>`) of every metric stat in the alarms. */
function alarmedMetrics(template: Template): Array<{ name: string; dims: Record<string, string> }> {
  return alarmsOf(template).flatMap((a) =>
    (a.Metrics as Json[])
      .filter((m) => m.MetricStat)
      .map((m) => ({
        name: m.MetricStat.Metric.MetricName as string,
        dims: Object.fromEntries((m.MetricStat.Metric.Dimensions as Json[]).map((d) => [d.Name, cfnText(d.Value)])),
      })),
  );
}

/**
 * Every queue the template uses as a dead-letter queue: a redrive target, an EventBridge target's
 * DLQ, an on-failure destination (async invoke or event source mapping), or named like one.
 */
function deadLetterQueueIds(template: Template): string[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
  const referenced = (value: unknown) => queues.filter((id) => cfnText(value).includes(`<${id}.Arn>`) || cfnText(value) === `<${id}>`);
  const found = new Set<string>(queues.filter((id) => /dead ?letter|dlq/i.test(id)));
  const add = (value: unknown) => {
    for (const id of referenced(value)) found.add(id);
  };
  for (const r of Object.values(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::SQS::Queue' && p.RedrivePolicy) add(p.RedrivePolicy.deadLetterTargetArn);
    if (r.Type === 'AWS::Events::Rule') for (const t of p.Targets ?? []) if (t.DeadLetterConfig) add(t.DeadLetterConfig.Arn);
    if (r.Type === 'AWS::Lambda::EventInvokeConfig' || r.Type === 'AWS::Lambda::EventSourceMapping') {
      const destination = p.DestinationConfig?.OnFailure?.Destination;
      if (destination) add(destination);
    }
    if (r.Type === 'AWS::Pipes::Pipe' && p.SourceParameters?.DynamoDBStreamParameters?.DeadLetterConfig) {
      add(p.SourceParameters.DynamoDBStreamParameters.DeadLetterConfig.Arn);
    }
  }
  return [...found].sort();
}

describe('nothing is left unwatched', () => {
  const { template } = buildStack();
  const metrics = alarmedMetrics(template);

  it('every Lambda function in the template has an errors alarm and a throttles alarm', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(8);
    for (const id of functions) {
      for (const metric of ['Errors', 'Throttles']) {
        expect(metrics, `${id} ${metric}`).toContainEqual({ name: metric, dims: { FunctionName: `<${id}>` } });
      }
    }
  });

  it('worker functions alarm on errors more loosely (a worker may fail a task by throwing): > 10 in 2 of 3 periods', () => {
    const errorAlarm = (entry: string) => {
      const id = functionId(template, entry);
      return alarmsOf(template).find((a) =>
        (a.Metrics as Json[]).some(
          (m) => m.MetricStat?.Metric.MetricName === 'Errors' && cfnText(m.MetricStat.Metric.Dimensions[0].Value) === `<${id}>`,
        ),
      )!;
    };
    expect(errorAlarm('count-primes')).toMatchObject({ Threshold: 10, DatapointsToAlarm: 2, EvaluationPeriods: 3 });
    expect(errorAlarm('submit-task')).toMatchObject({ Threshold: 2, DatapointsToAlarm: 1, EvaluationPeriods: 1 });
  });

  it('every dead-letter queue in the template has a "not empty" alarm (threshold 0)', () => {
    const dlqs = deadLetterQueueIds(template);
    expect(dlqs.length).toBeGreaterThanOrEqual(1);
    for (const id of dlqs) {
      const alarm = alarmsOf(template).find((a) =>
        (a.Metrics as Json[]).some(
          (m) =>
            m.MetricStat?.Metric.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            cfnText(m.MetricStat.Metric.Dimensions[0].Value) === `<${id}.QueueName>`,
        ),
      );
      expect(alarm, id).toBeDefined();
      expect(alarm!.Threshold).toBe(0);
    }
  });

  it('the checks can fail: a function or a dead-letter queue added without monitoring is found', () => {
    const stack = new LongrunStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Longrun');
    const extra = new sqs.Queue(stack, 'ForgottenDeadLetterQueue');
    new sqs.Queue(stack, 'Work', { deadLetterQueue: { queue: extra, maxReceiveCount: 3 } });
    const t = Template.fromStack(stack);
    expect(deadLetterQueueIds(t)).toContain(Object.keys(t.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('ForgottenDeadLetterQueue')));
    const watched = alarmedMetrics(t)
      .filter((m) => m.name === 'ApproximateNumberOfMessagesVisible')
      .map((m) => m.dims.QueueName);
    expect(watched.some((q) => q?.startsWith('<ForgottenDeadLetterQueue'))).toBe(false);
  });

  it('every alarm notifies the topic of its severity (critical or warning), on alarm and on recovery', () => {
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    const critical = topics.find((id) => id.includes('AlarmTopic'))!;
    const warning = topics.find((id) => id.includes('WarningTopic'))!;
    const alarms = alarmsOf(template);
    for (const alarm of alarms) {
      const topic = alarm.AlarmName.endsWith('-Critical') ? critical : warning;
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
    }
    expect(alarms.filter((a) => a.AlarmName.endsWith('-Critical')).length).toBeGreaterThan(10);
    expect(alarms.filter((a) => a.AlarmName.endsWith('-Warning')).length).toBeGreaterThan(10);
  });

  it('both stream readers (webhooks, task events) have an iterator age alarm; no other function has one', () => {
    const withIteratorAge = metrics.filter((m) => m.name === 'IteratorAge').map((m) => m.dims.FunctionName);
    expect(withIteratorAge.sort()).toEqual([`<${functionId(template, 'forward-terminal')}>`, `<${functionId(template, 'publish-events')}>`].sort());
  });

  it('every queue, work queues included, is on the dashboard', () => {
    const dashboard = cfnText(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const id of Object.keys(template.findResources('AWS::SQS::Queue'))) expect(dashboard, id).toContain(`<${id}.QueueName>`);
  });

  it('the oldest-open-task threshold follows the execution timeout (+ 15 min)', () => {
    const { template: t } = buildStack({ api: { executionTimeout: Duration.hours(2) } });
    const alarm = alarmsOf(t).find((a) => a.AlarmName.endsWith('OldestOpenTask-Critical'))!;
    expect(alarm.Threshold).toBe(2 * 3600 + 15 * 60);
  });

  it('with monitoring: false there are no alarms, no dashboard and no topic', () => {
    const { template: t, stack } = buildStack({ api: { monitoring: false } });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    expect(stack.api.monitoring).toBeUndefined();
    // Nothing watches a rollout then: CodeDeploy still shifts gradually, without alarms to stop it.
    for (const group of Object.values(t.findResources('AWS::CodeDeploy::DeploymentGroup'))) {
      expect(group.Properties.AlarmConfiguration ?? { Enabled: false }).toEqual({ Enabled: false });
    }
  });

  it('a given alarmTopic receives every alarm; none is created', () => {
    const { template: t } = buildStack({
      api: { alarmTopic: sns.Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:eu-west-1:123456789012:oncall') },
    });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of alarmsOf(t)) expect(alarm.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
  });

  it("the API's name, which keys API Gateway's metrics, is the stack's own", () => {
    const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0]!;
    expect((api.Properties as Json).Name).toBe('Longrun-Http');
    expect(alarmedMetrics(template).filter((m) => m.name === '5XXError')[0]!.dims).toEqual({ ApiName: 'Longrun-Http', Stage: 'v1' });
  });

  it('the stack outputs the alarm topic and the dashboard name', () => {
    const outputs = template.toJSON().Outputs as Record<string, Json>;
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    expect(outputs.AlarmTopicArn!.Value).toEqual({ Ref: topicId });
    expect(outputs.DashboardName!.Value).toBeDefined();
  });

  it('one dashboard, named after the stack', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect((dashboards[0]!.Properties as Json).DashboardName).toBe('Longrun');
  });
});

describe('reserved concurrency', () => {
  const reserved = (t: Template, entry: string) => t.toJSON().Resources[functionId(t, entry)].Properties.ReservedConcurrentExecutions;
  const routes = [
    'submit-task',
    'get-task',
    'get-task-result',
    'list-tasks',
    'cancel-task',
    'task-events',
    'get-openapi',
    'get-webhook-secret',
    'rotate-webhook-secret',
  ];

  it('defaults: 20 per API function, 5 each for the backstop and the sweeper, a cap of 100 on each worker function (390 in all, far from 900)', () => {
    const { template } = buildStack();
    for (const entry of routes) expect(reserved(template, entry), entry).toBe(20);
    expect(reserved(template, 'reconcile-execution')).toBe(5);
    expect(reserved(template, 'sweep-tasks')).toBe(5);
    expect(reserved(template, 'count-primes')).toBe(100);
    const total = Object.values(template.findResources('AWS::Lambda::Function')).reduce(
      (n, r) => n + ((r.Properties as Json).ReservedConcurrentExecutions ?? 0),
      0,
    );
    expect(reserved(template, 'make-report')).toBe(100);
    expect(total).toBe(390);
  });

  it('the JWT authorizer is an API function too', () => {
    const { template } = buildStack({ api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } });
    expect(reserved(template, 'jwt-authorizer')).toBe(20);
  });

  it('each group is a prop; false turns one group or all of them off', () => {
    const { template: a } = buildStack({ api: { reservedConcurrency: { api: 50, backstop: false, worker: 10 } } });
    for (const entry of routes) expect(reserved(a, entry)).toBe(50);
    expect(reserved(a, 'reconcile-execution')).toBeUndefined();
    expect(reserved(a, 'count-primes')).toBe(10);
    const { template: none } = buildStack({ api: { reservedConcurrency: false } });
    for (const r of Object.values(none.findResources('AWS::Lambda::Function')))
      expect((r.Properties as Json).ReservedConcurrentExecutions).toBeUndefined();
  });

  it.each([0, -1, 2.5])('refuses %s', (n) => {
    expect(() => buildStack({ api: { reservedConcurrency: { api: n } } })).toThrow(/reservedConcurrency.api must be a positive integer or false/);
  });
});
