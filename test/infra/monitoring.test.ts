import { readFileSync } from 'node:fs';
import { Duration, type Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, RUNBOOK_ANCHORS } from '../../lib/task-api/alarm-settings.ts';
import { cfnText } from './fixture.ts';
import { smallMonitoredStack } from './monitoring-fixture.ts';

type Json = Record<string, any>;

const { stack, template, monitoring } = smallMonitoredStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
const alarms = Object.values(resources)
  .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
  .map((r) => r.Properties);
const topicIds = Object.keys(template.findResources('AWS::SNS::Topic'));
const topicOf = { Critical: topicIds.find((id) => id.includes('AlarmTopic'))!, Warning: topicIds.find((id) => id.includes('WarningTopic'))! };

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

/** Alarms someone must act on now: the rest are warnings (someone looks today). */
const CRITICAL = new Set(['API 5xx rate', 'Lambda errors', 'DLQ not empty', 'oldest open task']);

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
      // The sweeper publishes on every run (0 with nothing open): no data means it is not running.
      { DatapointsToAlarm: 2, TreatMissingData: 'breaching' },
    ],
    ['webhook deliveries failed', 'WebhookDeliveryFailed', { Namespace: 'Longrun', Stat: 'Sum', Period: 3600 }, 5, RUNBOOK_ANCHORS.webhookFailed, {}],
  ])('%s: %s, threshold %#, notifies the topic of its severity, links its runbook section', (name, metricName, metric, threshold, anchor, extra) => {
    const alarm = alarmOn(metricName);
    const severity = CRITICAL.has(name) ? 'Critical' : 'Warning';
    expect(alarm.AlarmName).toMatch(new RegExp(`-${severity}$`));
    const s = stat(alarm, metricName);
    expect(s.Metric.Namespace).toBe(metric.Namespace);
    expect(s.Stat).toBe(metric.Stat);
    expect(s.Period).toBe(metric.Period ?? 300);
    expect(alarm.Threshold).toBe(threshold);
    expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(alarm.ActionsEnabled).toBe(true);
    expect(alarm.AlarmActions).toEqual([{ Ref: topicOf[severity] }]);
    expect(alarm.OKActions).toEqual([{ Ref: topicOf[severity] }]);
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

  it("the service dimension is a prop (a deployment's own name), and so is the oldest open task's period (the sweep interval)", () => {
    const { template: t } = smallMonitoredStack({ serviceName: 'Longrun-prod', sweepInterval: Duration.minutes(15) });
    const oldest = Object.values(t.findResources('AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties as Json)
      .find((a) => a.AlarmName.endsWith('OldestOpenTask-Critical'))!;
    const s = stat(oldest, 'OldestOpenTaskAgeSeconds');
    expect(s.Metric.Dimensions).toEqual([{ Name: 'service', Value: 'Longrun-prod' }]);
    expect(s.Period).toBe(900);
    expect(oldest.TreatMissingData).toBe('breaching');
  });

  it('a stream reader gets a critical iterator age alarm (10 minutes, 2 of 3 periods), which alarmsOf reports with its errors alarm', () => {
    const { template: t, monitoring, reader } = smallMonitoredStack({ withStreamReader: true });
    const iterator = Object.values(t.findResources('AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties as Json)
      .filter((a) => (a.Metrics as Json[] | undefined)?.some((m) => m.MetricStat?.Metric.MetricName === 'IteratorAge'));
    expect(iterator).toHaveLength(1);
    expect(iterator[0]).toMatchObject({ Threshold: 600_000, DatapointsToAlarm: 2, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanThreshold' });
    expect(stat(iterator[0]!, 'IteratorAge').Stat).toBe('Maximum');
    expect(iterator[0]!.AlarmName).toMatch(/-Critical$/);
    expect(iterator[0]!.AlarmDescription).toMatch(/Runbook: docs\/operations\.md#alarm-stream-iterator-age$/);
    // Its errors and its iterator age.
    expect(monitoring.alarmsOf(reader!)).toHaveLength(2);
    // Throttles are load, not a version: a rollout does not watch them.
    expect(monitoring.alarmsOf(reader!).some((a) => a.node.id.includes('Throttled'))).toBe(false);
  });

  it('the workflow alarms (failed, timed out, throttled executions) are what a state machine rollout watches', () => {
    expect(monitoring.workflowAlarms).toHaveLength(3);
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
  const headings = (page: string) =>
    readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, '')));
  // The runbook is docs/operations.md; alarms added with the deployment work have their sections in
  // docs/deploy.md ("Alarms added for deployment") until the runbook takes them in.
  const anchors = [...headings('operations.md'), ...headings('deploy.md')];

  it.each(Object.entries(RUNBOOK_ANCHORS))('the runbook has the section every %s alarm links to (#%s)', (_, anchor) => {
    expect(anchors).toContain(anchor);
  });

  it('the check can fail: an anchor without a section is not found', () => {
    expect(anchors).not.toContain('alarm-that-does-not-exist');
  });
});

describe('TaskMonitoring alarm topics', () => {
  it('creates a critical and a warning topic, encrypted and TLS-only, under one key that lets CloudWatch (this account) publish', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.resourceCountIs('AWS::KMS::Key', 1);
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
    for (const topicId of Object.values(topicOf)) {
      expect(resources[topicId]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
    // The critical topic keeps the logical id the single topic had: its subscribers stay.
    expect(topicOf.Critical).toMatch(/^MonitoringAlarmTopic[0-9A-F]{8}$/);
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

  it('uses a given topic for every alarm and creates none', () => {
    const { template: t, monitoring } = smallMonitoredStack({
      topic: (s) => sns.Topic.fromTopicArn(s, 'Given', 'arn:aws:sns:eu-west-1:123456789012:oncall'),
    });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    expect(monitoring.alarmTopic.topicArn).toBe('arn:aws:sns:eu-west-1:123456789012:oncall');
    expect(monitoring.warningTopic).toBe(monitoring.alarmTopic);
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Json).AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
    }
  });

  it('routes critical and warning alarms to given topics, and OK to a third one or nowhere', () => {
    const given = (arn: string) => (s: Stack) => sns.Topic.fromTopicArn(s, arn.split(':').pop()!, arn);
    const page = 'arn:aws:sns:eu-west-1:123456789012:page';
    const ticket = 'arn:aws:sns:eu-west-1:123456789012:ticket';
    const ok = 'arn:aws:sns:eu-west-1:123456789012:ok';
    const { template: t } = smallMonitoredStack({ topic: given(page), topics: { warning: given(ticket), ok: given(ok) } });
    const alarmsOf = (tpl: typeof t) => Object.values(tpl.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Json);
    for (const alarm of alarmsOf(t)) {
      expect(alarm.AlarmActions).toEqual([alarm.AlarmName.endsWith('-Critical') ? page : ticket]);
      expect(alarm.OKActions).toEqual([ok]);
    }
    const silent = smallMonitoredStack({ okTopic: false }).template;
    for (const alarm of alarmsOf(silent)) expect(alarm.OKActions).toBeUndefined();
  });

  it('subscribes e-mail addresses per severity and a Slack channel (AWS Chatbot, read-only guardrail) to both topics', () => {
    const { template: t } = smallMonitoredStack({
      subscriptions: {
        criticalEmails: ['oncall@example.com'],
        warningEmails: ['team@example.com'],
        slack: { workspaceId: 'T0123', channelId: 'C0456' },
      },
    });
    const topics = t.findResources('AWS::SNS::Topic');
    const idOf = (part: string) => Object.keys(topics).find((id) => id.includes(part))!;
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: idOf('AlarmTopic') } });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'team@example.com', TopicArn: { Ref: idOf('WarningTopic') } });
    t.resourceCountIs('AWS::SNS::Subscription', 2);
    const slack = Object.values(t.findResources('AWS::Chatbot::SlackChannelConfiguration'))[0]!.Properties as Json;
    expect(slack).toMatchObject({ SlackWorkspaceId: 'T0123', SlackChannelId: 'C0456', ConfigurationName: 'Small-alarms' });
    expect(slack.SnsTopicArns).toEqual([{ Ref: idOf('AlarmTopic') }, { Ref: idOf('WarningTopic') }]);
    expect(slack.GuardrailPolicies.map(cfnText)).toEqual(['arn:<AWS::Partition>:iam::aws:policy/CloudWatchReadOnlyAccess']);
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
