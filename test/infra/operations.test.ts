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

/** Metric name and dimensions (rendered `<Id>` / `<Id.Attr>`) of each metric an alarm watches. */
function metricsOf(alarm: Json): Array<{ name: string; dims: Record<string, string> }> {
  const dimensions = (list: Json[] | undefined) => Object.fromEntries((list ?? []).map((d) => [d.Name, cfnText(d.Value)]));
  // A math alarm lists its metrics; a single-metric alarm names its one metric itself.
  return alarm.Metrics
    ? (alarm.Metrics as Json[])
        .filter((m) => m.MetricStat)
        .map((m) => ({ name: m.MetricStat.Metric.MetricName as string, dims: dimensions(m.MetricStat.Metric.Dimensions) }))
    : [{ name: alarm.MetricName as string, dims: dimensions(alarm.Dimensions) }];
}

/** Every metric watched by an alarm of the template. */
function alarmedMetrics(template: Template): Array<{ name: string; dims: Record<string, string> }> {
  return alarmsOf(template).flatMap(metricsOf);
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
        metricsOf(a).some((m) => m.name === 'ApproximateNumberOfMessagesVisible' && m.dims.QueueName === `<${id}.QueueName>`),
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

describe('no part can stall the others', () => {
  const { template } = buildStack();
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));
  const isQueue = (arn: unknown) => queueIds.some((id) => cfnText(arn) === `<${id}.Arn>`);
  const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');

  it('every SQS event source has a maximum concurrency (10 by default, a prop)', () => {
    const sqsMappings = mappings.filter((m) => isQueue(m.Properties.EventSourceArn));
    expect(sqsMappings.length).toBeGreaterThan(0);
    for (const m of sqsMappings) expect(m.Properties.ScalingConfig?.MaximumConcurrency).toBe(10);
    const { template: t } = buildStack({ api: { webhookConcurrency: 3 } });
    const mapping = Object.values(t.findResources('AWS::Lambda::EventSourceMapping')).find((m) => m.Properties.ScalingConfig);
    expect(mapping?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 3 });
    expect(() => buildStack({ api: { webhookConcurrency: 1 } })).toThrow(/webhookConcurrency must be a whole number from 2 to 1000/);
  });

  it('every stream reader has a reservation', () => {
    // Event sources invoke the `live` alias: its FunctionName names the function.
    const functionOf = (name: unknown) => {
      const alias = resources[JSON.stringify(name).match(/"Ref":"([^"]+)"/)![1]!]!;
      return alias.Type === 'AWS::Lambda::Alias' ? (alias.Properties.FunctionName.Ref as string) : JSON.stringify(name).match(/"Ref":"([^"]+)"/)![1]!;
    };
    const readers = mappings.filter((m) => !isQueue(m.Properties.EventSourceArn)).map((m) => functionOf(m.Properties.FunctionName));
    expect(readers.length).toBe(2);
    for (const id of readers) expect(resources[id]!.Properties.ReservedConcurrentExecutions, id).toBe(5);
  });

  it("the webhook queue's backlog alarms: the age of its oldest message and the messages in flight", () => {
    const queue = queueIds.find((id) => /WebhooksQueue/.test(id))!;
    const onQueue = alarmsOf(template).filter((a) => metricsOf(a).some((m) => m.dims.QueueName === `<${queue}.QueueName>`));
    const watched = (a: Json) => metricsOf(a)[0]!.name;
    expect(onQueue.map(watched).sort()).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesNotVisible']);
    const age = onQueue.find((a) => watched(a) === 'ApproximateAgeOfOldestMessage')!;
    expect(age.Threshold).toBe(1800);
    for (const alarm of onQueue) expect(alarm.AlarmDescription).toContain('#alarm-webhook-queue-backlog');
  });

  it('dead-letter and failure queues keep a message no longer than its task is kept', () => {
    const retention = (t: Template) =>
      deadLetterQueueIds(t).map((id) => (t.toJSON().Resources[id].Properties as Json).MessageRetentionPeriod as number);
    expect(new Set(retention(template))).toEqual(new Set([7 * 86_400]));
    const { template: shortLived } = buildStack({ api: { retention: Duration.days(2) } });
    expect(new Set(retention(shortLived))).toEqual(new Set([2 * 86_400]));
    // SQS keeps messages 14 days at most.
    const { template: longLived } = buildStack({ api: { retention: Duration.days(30) } });
    expect(new Set(retention(longLived))).toEqual(new Set([14 * 86_400]));
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
    'get-console',
    'get-webhook-secret',
    'rotate-webhook-secret',
    'create-watch-token',
    'retry-task',
    'send-input',
    'send-input-by-capability',
    'get-task-history',
  ];
  const liveRoutes = ['live-connect', 'live-subscribe', 'live-disconnect'];

  it('defaults: 20 per API function, 30 more for held connections on the four that hold them (submit with Prefer: wait too), 5 each for the backstop, the sweeper, the deadlines and the stream readers, 10 on each live-channel route function, 100 on each worker function', () => {
    const { template } = buildStack();
    for (const entry of routes)
      expect(reserved(template, entry), entry).toBe(['submit-task', 'get-task', 'get-task-result', 'task-events'].includes(entry) ? 50 : 20);
    expect(reserved(template, 'reconcile-execution')).toBe(5);
    expect(reserved(template, 'sweep-tasks')).toBe(5);
    expect(reserved(template, 'expire-task')).toBe(5);
    expect(reserved(template, 'forward-terminal')).toBe(5);
    expect(reserved(template, 'publish-events')).toBe(5);
    expect(reserved(template, 'count-primes')).toBe(100);
    expect(reserved(template, 'make-report')).toBe(100);
    for (const entry of liveRoutes) expect(reserved(template, entry), entry).toBe(10);
    const total = Object.values(template.findResources('AWS::Lambda::Function')).reduce(
      (n, r) => n + ((r.Properties as Json).ReservedConcurrentExecutions ?? 0),
      0,
    );
    expect(reserved(template, 'make-report')).toBe(100);
    // 15 × 20 + 4 × 30 + 5 × 5 + 3 × 10 + 2 × 100: a standard account (1,000, of which 100 stay unreserved) deploys.
    expect(total).toBe(675);
  });

  it('held connections get their own budget: the long-poll and stream budgets are props, and plain requests keep the api share', () => {
    const { template } = buildStack({ api: { heldConnections: { perCaller: 3, longPolls: 7, streams: 11 } } });
    expect(reserved(template, 'get-task')).toBe(27);
    expect(reserved(template, 'get-task-result')).toBe(27);
    expect(reserved(template, 'task-events')).toBe(31);
    expect(reserved(template, 'list-tasks')).toBe(20);
    const env = (entry: string) => template.toJSON().Resources[functionId(template, entry)].Properties.Environment.Variables;
    expect(env('get-task')).toMatchObject({ HELD_CONNECTIONS_PER_CALLER: '3', HELD_CONNECTIONS_PER_FUNCTION: '7' });
    expect(env('task-events')).toMatchObject({ HELD_CONNECTIONS_PER_CALLER: '3', HELD_CONNECTIONS_PER_FUNCTION: '11' });
    expect(env('list-tasks').HELD_CONNECTIONS_PER_CALLER).toBeUndefined();
    expect(() => buildStack({ api: { heldConnections: { perCaller: 0 } } })).toThrow(/heldConnections.perCaller must be a positive integer/);
  });

  it('the JWT authorizer is an API function too', () => {
    const { template } = buildStack({ api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } });
    expect(reserved(template, 'jwt-authorizer')).toBe(20);
  });

  it('each group is a prop; false turns one group or all of them off', () => {
    const { template: a } = buildStack({ api: { reservedConcurrency: { api: 50, backstop: false, worker: 10 } } });
    for (const entry of routes)
      expect(reserved(a, entry)).toBe(['submit-task', 'get-task', 'get-task-result', 'task-events'].includes(entry) ? 80 : 50);
    expect(reserved(a, 'reconcile-execution')).toBeUndefined();
    expect(reserved(a, 'count-primes')).toBe(10);
    for (const entry of liveRoutes) expect(reserved(a, entry), entry).toBe(10);
    const { template: offLive } = buildStack({ api: { reservedConcurrency: { live: false } } });
    for (const entry of liveRoutes) expect(reserved(offLive, entry), entry).toBeUndefined();
    const { template: none } = buildStack({ api: { reservedConcurrency: false } });
    for (const r of Object.values(none.findResources('AWS::Lambda::Function')))
      expect((r.Properties as Json).ReservedConcurrentExecutions).toBeUndefined();
  });

  it.each([0, -1, 2.5])('refuses %s', (n) => {
    expect(() => buildStack({ api: { reservedConcurrency: { api: n } } })).toThrow(/reservedConcurrency.api must be a positive integer or false/);
  });
});
