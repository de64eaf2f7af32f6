import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, RUNBOOK_ANCHORS } from '../../lib/task-api/alarm-settings.ts';
import { cfnText } from './fixture.ts';
import { smallMonitoredStack } from './monitoring-fixture.ts';

type Json = Record<string, any>;

const { stack, template } = smallMonitoredStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
const alarms = Object.values(resources)
  .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
  .map((r) => r.Properties);
const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;

/** The alarm on `metricName` (in any of its metric stats), with dimension `dims` if given. */
function alarmOn(metricName: string, dims: Record<string, string> = {}): Json {
  const found = alarms.filter((a) =>
    (a.Metrics as Json[] | undefined)?.some((m) => {
      const metric = m.MetricStat?.Metric;
      if (metric?.MetricName !== metricName) return false;
      const have = Object.fromEntries((metric.Dimensions as Json[]).map((d) => [d.Name, cfnText(d.Value)]));
      return Object.entries(dims).every(([k, v]) => have[k] === v);
    }),
  );
  if (found.length !== 1) throw new Error(`expected one alarm on ${metricName} ${JSON.stringify(dims)}, found ${found.length}`);
  return found[0]!;
}

function stat(alarm: Json, metricName: string): Json {
  return (alarm.Metrics as Json[]).find((m) => m.MetricStat?.Metric.MetricName === metricName)!.MetricStat;
}

describe('TaskMonitoring alarms (metric, threshold, action)', () => {
  it.each<[string, string, Json, number, string, Partial<Json>]>([
    [
      'API 5xx rate',
      '5XXError',
      { Namespace: 'AWS/ApiGateway', Stat: 'Average' },
      0.05,
      RUNBOOK_ANCHORS.api5xx,
      { DatapointsToAlarm: 2, EvaluationPeriods: 3 },
    ],
    [
      'POST /tasks p99 latency',
      'Latency',
      { Namespace: 'AWS/ApiGateway', Stat: 'p99' },
      3000,
      RUNBOOK_ANCHORS.apiLatency,
      { EvaluateLowSampleCountPercentile: 'ignore', DatapointsToAlarm: 3 },
    ],
    ['Lambda errors', 'Errors', { Namespace: 'AWS/Lambda', Stat: 'Sum' }, 2, RUNBOOK_ANCHORS.functionErrors, {}],
    ['Lambda throttles', 'Throttles', { Namespace: 'AWS/Lambda', Stat: 'Sum' }, 5, RUNBOOK_ANCHORS.functionThrottles, {}],
    [
      'executions failed',
      'ExecutionsFailed',
      { Namespace: 'AWS/States', Stat: 'Sum' },
      10,
      RUNBOOK_ANCHORS.executionsFailed,
      { DatapointsToAlarm: 2 },
    ],
    ['executions timed out', 'ExecutionsTimedOut', { Namespace: 'AWS/States', Stat: 'Sum' }, 0, RUNBOOK_ANCHORS.executionsTimedOut, {}],
    ['executions throttled', 'ExecutionThrottled', { Namespace: 'AWS/States', Stat: 'Sum' }, 10, RUNBOOK_ANCHORS.executionsThrottled, {}],
    [
      'DynamoDB read throttles',
      'ReadThrottleEvents',
      { Namespace: 'AWS/DynamoDB', Stat: 'Sum' },
      10,
      RUNBOOK_ANCHORS.tableThrottled,
      { DatapointsToAlarm: 2 },
    ],
    [
      'DynamoDB write throttles',
      'WriteThrottleEvents',
      { Namespace: 'AWS/DynamoDB', Stat: 'Sum' },
      10,
      RUNBOOK_ANCHORS.tableThrottled,
      { DatapointsToAlarm: 2 },
    ],
    ['WAF blocked requests', 'BlockedRequests', { Namespace: 'AWS/WAFV2', Stat: 'Sum' }, 100, RUNBOOK_ANCHORS.wafBlocked, { DatapointsToAlarm: 2 }],
    ['DLQ not empty', 'ApproximateNumberOfMessagesVisible', { Namespace: 'AWS/SQS', Stat: 'Maximum' }, 0, RUNBOOK_ANCHORS.deadLetterQueue, {}],
    [
      'oldest open task',
      'OldestOpenTaskAgeSeconds',
      { Namespace: 'Longrun', Stat: 'Maximum' },
      4500,
      RUNBOOK_ANCHORS.oldestOpenTask,
      { DatapointsToAlarm: 2 },
    ],
    ['webhook deliveries failed', 'WebhookDeliveryFailed', { Namespace: 'Longrun', Stat: 'Sum', Period: 3600 }, 5, RUNBOOK_ANCHORS.webhookFailed, {}],
  ])('%s: %s, threshold %#, notifies the topic, links its runbook section', (_, metricName, metric, threshold, anchor, extra) => {
    const alarm = alarmOn(metricName);
    const s = stat(alarm, metricName);
    expect(s.Metric.Namespace).toBe(metric.Namespace);
    expect(s.Stat).toBe(metric.Stat);
    expect(s.Period).toBe(metric.Period ?? 300);
    expect(alarm.Threshold).toBe(threshold);
    expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(alarm.ActionsEnabled).toBe(true);
    expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    expect(alarm.AlarmDescription).toMatch(new RegExp(`Runbook: docs/operations\\.md#${anchor}$`));
    // The description says what it means before the link.
    expect(alarm.AlarmDescription.split(' Runbook:')[0].length).toBeGreaterThan(40);
    expect(alarm).toMatchObject(extra);
  });

  it('the 5xx rate is evaluated only with enough requests (a stray 5xx on a quiet API does not page)', () => {
    const alarm = alarmOn('5XXError');
    const expression = (alarm.Metrics as Json[]).find((m) => m.Expression)!.Expression;
    expect(expression).toBe(`IF(sampleCount > ${DEFAULT_THRESHOLDS.minRequests}, metric)`);
    expect(stat(alarm, '5XXError').Metric.Dimensions).toEqual([
      { Name: 'ApiName', Value: 'Api' },
      { Name: 'Stage', Value: 'v1' },
    ]);
  });

  it('the custom metrics use the namespace and the service dimension the Lambdas publish with, and nothing else', () => {
    for (const name of ['OldestOpenTaskAgeSeconds', 'WebhookDeliveryFailed']) {
      expect(stat(alarmOn(name), name).Metric.Dimensions).toEqual([{ Name: 'service', Value: 'longrun' }]);
    }
  });

  it('the WAF alarm reads the web ACL by its metric name, in the stack region', () => {
    expect(stat(alarmOn('BlockedRequests'), 'BlockedRequests').Metric.Dimensions).toEqual([
      { Name: 'Region', Value: 'eu-west-1' },
      { Name: 'Rule', Value: 'ALL' },
      { Name: 'WebACL', Value: 'LongrunWebAcl' },
    ]);
  });

  it('alarm names start with the stack name and are unique', () => {
    const names = alarms.map((a) => a.AlarmName as string);
    for (const name of names) expect(name.startsWith('Small-')).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it('thresholds and the runbook URL are props', () => {
    const { template: t } = smallMonitoredStack({
      runbookUrl: 'https://example.com/ops',
      thresholds: { functionErrors: 0, oldestOpenTaskAge: Duration.hours(3) },
    });
    const props = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Json);
    const errors = props.find((p) => p.AlarmName.endsWith('Fault-Count-Critical'))!;
    expect(errors.Threshold).toBe(0);
    expect(errors.AlarmDescription).toMatch(/Runbook: https:\/\/example\.com\/ops#alarm-lambda-errors$/);
    expect(props.find((p) => p.AlarmName.endsWith('OldestOpenTask-Critical'))!.Threshold).toBe(3 * 3600);
  });
});

describe('the runbook', () => {
  /** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
  const anchors = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => slug(l.replace(/^#+ /, '')));

  it.each(Object.entries(RUNBOOK_ANCHORS))('docs/operations.md has the section every %s alarm links to (#%s)', (_, anchor) => {
    expect(anchors).toContain(anchor);
  });
});

describe('TaskMonitoring alarm topic', () => {
  it('creates an encrypted, TLS-only topic whose key lets CloudWatch (this account) publish', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topic = resources[topicId]!.Properties;
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    // Nothing is stored under it: deleting the stack schedules its deletion instead of leaving a billed key.
    expect(template.toJSON().Resources[keyId].DeletionPolicy).toBe('Delete');
    expect(resources[keyId]!.Properties.PendingWindowInDays).toBe(7);
    const statements = resources[keyId]!.Properties.KeyPolicy.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      }),
    );
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0]!.Properties as Json;
    expect(JSON.stringify(policy.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('uses a given topic and creates none', () => {
    const { template: t, monitoring } = smallMonitoredStack({
      topic: (s) => sns.Topic.fromTopicArn(s, 'Given', 'arn:aws:sns:eu-west-1:123456789012:oncall'),
    });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    expect(monitoring.alarmTopic.topicArn).toBe('arn:aws:sns:eu-west-1:123456789012:oncall');
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Json).AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
    }
  });
});

describe('TaskMonitoring dashboard', () => {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = JSON.parse(cfnText((dashboards[0]!.Properties as Json).DashboardBody)) as { widgets: Json[] };
  const texts = body.widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown as string);
  const graphs = body.widgets.filter((w) => w.type === 'metric').map((w) => w.properties.title as string);

  it('is one dashboard named after the stack', () => {
    expect(dashboards).toHaveLength(1);
    expect((dashboards[0]!.Properties as Json).DashboardName).toBe('Small');
  });

  it('has the request path, task lifecycle, workflow, functions and queues sections, in that order', () => {
    const headers = texts.filter((t) => t.startsWith('# ')).map((t) => t.slice(2));
    expect(headers).toEqual(['Request path', 'Task lifecycle', 'Workflow and table', 'Functions', 'Queues']);
  });

  it('shows every route (rate, latency, errors), the business metrics, the workflow and the queues', () => {
    expect(texts.some((t) => t.includes('**POST /tasks**'))).toBe(true);
    expect(texts.some((t) => t.includes('**API (all routes)**'))).toBe(true);
    for (const title of ['TPS', 'Latency', 'Errors']) expect(graphs).toContain(title);
    for (const title of ['Tasks submitted and started', 'Task outcomes', 'Open tasks', 'Oldest open task (seconds)', 'Webhook deliveries']) {
      expect(graphs).toContain(title);
    }
    expect(texts.some((t) => t.includes('Task workflow (Step Functions)'))).toBe(true);
    expect(texts.some((t) => t.includes('ReconcileDeadLetterQueue (dead letters)'))).toBe(true);
    expect(graphs).toContain('Executions');
    expect(graphs).toContain('Message Count');
  });

  it('breaks submitted and failed tasks down by task type (a search over the type dimension)', () => {
    const json = cfnText((dashboards[0]!.Properties as Json).DashboardBody);
    for (const name of ['TaskSubmitted', 'TaskFailed']) {
      expect(graphs).toContain(`${name} by task type`);
      expect(json).toContain(`SEARCH('{\\"Longrun\\",\\"service\\",\\"type\\"} \\"service\\"=\\"longrun\\" MetricName=\\"${name}\\"', 'Sum', 300)`);
    }
  });

  it('graphs every task lifecycle metric the Lambdas publish', () => {
    const json = cfnText((dashboards[0]!.Properties as Json).DashboardBody);
    for (const name of [
      'TaskSubmitted',
      'TaskStarted',
      'TaskSucceeded',
      'TaskFailed',
      'TaskCancelled',
      'TaskStartFailed',
      'TaskReconciledByBackstop',
      'WebhookDelivered',
      'OpenTasks',
    ]) {
      expect(json).toContain(`"Longrun","${name}","service","longrun"`);
    }
  });
});

describe('TaskMonitoring and cdk-nag', () => {
  it('adds no finding of its own (topic encrypted and TLS-only, key rotated)', () => {
    const report = new AwsSolutionsChecks(stack.node.scope as never, { verbose: true }).validateScope(stack);
    const ours = report.violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('/Monitoring/')));
    expect(ours.map((v) => v.ruleName)).toEqual([]);
  });
});
