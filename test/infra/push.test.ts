/**
 * WebhookDelivery + TaskEvents on their own (a table with a stream, as the facade passes it):
 * the filtered stream mappings, encrypted queues and their DLQs, exact IAM, no loopback flag, the
 * bus and a rule on it, cdk-nag.
 */
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { publisherFilters, webhookFilters } from '../../lambdas/domain/stream-filters.ts';
import { EVENTS_READER_MEMORY_MB, TaskEvents, WebhookDelivery } from '../../lib/task-api/push.ts';
import { aliasId, buildStack, cfnText, functionId, grantsOf } from './fixture.ts';

function build(options: { eventBus?: boolean; source?: string; stream?: boolean; extra?: (stack: Stack, taskEvents: TaskEvents) => void } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Push');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(options.stream !== false && { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES }),
  });
  const environment = { TABLE_NAME: table.tableName, TASK_RETENTION_SECONDS: '604800' };
  const webhooks = new WebhookDelivery(stack, 'Webhooks', { table, environment });
  const bus = options.eventBus ? new events.EventBus(stack, 'TheirBus') : undefined;
  const taskEvents = new TaskEvents(stack, 'Events', { table, environment, eventBus: bus, source: options.source });
  options.extra?.(stack, taskEvents);
  return { app, stack, table, webhooks, taskEvents, template: Template.fromStack(stack) };
}

const { app, stack, template, webhooks, taskEvents } = build();
const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
const idOf = (construct: { node: { defaultChild?: unknown } } | sqs.Queue): string =>
  stack.getLogicalId((construct as sqs.Queue).node.defaultChild as never);
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const own = (entry: string) =>
  grantsOf(template, functionId(template, entry))
    .filter((g) => !BASELINE.includes(g.action))
    .map((g) => `${g.action} ${g.resource}`)
    .sort();

/** The event source mapping of a function: it invokes the function's `live` alias, so that a rollout moves it too. */
function mappingOf(entry: string) {
  const live = `{"Ref":"${aliasId(template, entry)}"}`;
  const found = Object.values(json.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties.FunctionName).includes(live),
  );
  expect(found).toHaveLength(1);
  return found[0]!.Properties;
}

describe('WebhookDelivery', () => {
  it('maps the stream to the forwarder, filtered to terminal transitions with a callbackUrl, reporting item failures', () => {
    const mapping = mappingOf('forward-terminal');
    expect(cfnText(mapping.EventSourceArn)).toBe('<TableCD117FA1.StreamArn>');
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    expect(cfnText(mapping.DestinationConfig.OnFailure.Destination)).toBe(`<${idOf(webhooks.streamFailureQueue)}.Arn>`);
    const patterns = mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns).toEqual(webhookFilters());
    expect(patterns[0].dynamodb.OldImage.status.S).toEqual(['pending', 'running']);
    expect(patterns[0].dynamodb.NewImage.callbackUrl).toEqual({ S: [{ exists: true }] });
  });

  it('maps the queue to the delivery function with ReportBatchItemFailures', () => {
    const mapping = mappingOf('deliver-webhook');
    expect(cfnText(mapping.EventSourceArn)).toBe(`<${idOf(webhooks.queue)}.Arn>`);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('encrypts every queue, enforces TLS, and gives the delivery queue a DLQ', () => {
    const queues = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(json.Resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(webhooks.deadLetterQueue), 'Arn'] }, maxReceiveCount: 20 },
    });
  });

  it('grants each function exactly its actions on exact resources', () => {
    const stream = '<TableCD117FA1.StreamArn>';
    const streamRead = ['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'].map((a) => `dynamodb:${a} ${stream}`);
    expect(own('forward-terminal')).toEqual(
      [...streamRead, `sqs:SendMessage <${idOf(webhooks.queue)}.Arn>`, `sqs:SendMessage <${idOf(webhooks.streamFailureQueue)}.Arn>`].sort(),
    );
    const queue = `<${idOf(webhooks.queue)}.Arn>`;
    expect(own('deliver-webhook')).toEqual(
      [
        'dynamodb:GetItem <TableCD117FA1.Arn>',
        'dynamodb:PutItem <TableCD117FA1.Arn>',
        'dynamodb:UpdateItem <TableCD117FA1.Arn>',
        `sqs:DeleteMessage ${queue}`,
        `sqs:GetQueueAttributes ${queue}`,
        `sqs:ReceiveMessage ${queue}`,
        // The next attempt is a delayed re-send; without ChangeMessageVisibility no delivery can wait in flight.
        `sqs:SendMessage ${queue}`,
        `sqs:SendMessage <${idOf(webhooks.deadLetterQueue)}.Arn>`,
      ].sort(),
    );
    expect(own('publish-events')).toEqual(
      [
        ...streamRead,
        `events:PutEvents <${idOf(taskEvents.eventBus as events.EventBus)}.Arn>`,
        `sqs:SendMessage <${idOf(taskEvents.streamFailureQueue)}.Arn>`,
      ].sort(),
    );
  });

  it('never sets ALLOW_LOOPBACK_CALLBACKS (only the local stack accepts loopback callbacks)', () => {
    for (const r of Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(Object.keys(r.Properties.Environment?.Variables ?? {})).not.toContain('ALLOW_LOOPBACK_CALLBACKS');
      expect(Object.keys(r.Properties.Environment?.Variables ?? {})).not.toContain('LONGRUN_WEBHOOK_RETRY_DELAYS');
    }
  });

  it('refuses a table without a stream', () => {
    expect(() => build({ stream: false })).toThrow(/stream must be enabled/);
  });
});

describe('TaskEvents', () => {
  it('maps the stream to the publisher, filtered to new tasks, writes of open tasks (status changes, progress) and retries', () => {
    const mapping = mappingOf('publish-events');
    const patterns = mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns).toEqual(publisherFilters());
    // Three filters where status changes and progress would take six (Lambda takes five per mapping).
    expect(patterns).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: ['pending', 'running', 'succeeded', 'failed', 'cancelled'] } } } },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          OldImage: { status: { S: ['pending', 'running'] } },
          NewImage: { status: { S: ['pending', 'running', 'succeeded', 'failed', 'cancelled'] } },
        },
      },
      { eventName: ['MODIFY'], dynamodb: { OldImage: { status: { S: ['failed', 'cancelled'] } }, NewImage: { status: { S: ['pending'] } } } },
    ]);
  });

  it('runs the events reader at 128 MB (it waits on calls; bench part 6 prices the fan-out at this size)', () => {
    const reader = stack.resolve((taskEvents.publishFunction.node.defaultChild as CfnElement & { memorySize?: number }).memorySize);
    expect(reader).toBe(EVENTS_READER_MEMORY_MB);
    expect(EVENTS_READER_MEMORY_MB).toBe(128);
  });

  it('creates a bus with source longrun by default; uses a given bus and source', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ EVENT_SOURCE: 'longrun' }) } });
    const given = build({ eventBus: true, source: 'acme.tasks' });
    given.template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(given.taskEvents.eventBus.node.id).toBe('TheirBus');
    given.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ EVENT_SOURCE: 'acme.tasks' }) } });
    expect(() => build({ source: 'aws.tasks' })).toThrow(/reserved/);
    expect(() => build({ source: 'bad source' })).toThrow(/source must be/);
  });

  it('a rule on the bus routes task.failed to an SQS queue (the README example)', () => {
    const s = build({
      extra: (scope, taskEvents) => {
        const failedTasks = new sqs.Queue(scope, 'FailedTasks', { enforceSSL: true });
        new events.Rule(scope, 'FailedTasksRule', {
          eventBus: taskEvents.eventBus,
          eventPattern: { source: [taskEvents.source], detailType: ['task.failed'] },
          targets: [new targets.SqsQueue(failedTasks)],
        });
      },
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.anyValue() },
      EventPattern: { source: ['longrun'], 'detail-type': ['task.failed'] },
    });
  });
});

describe('cdk-nag AwsSolutions on the push parts', () => {
  it('finds no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('in the facade (LongrunStack)', () => {
  const full = buildStack();
  const resources = full.template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;

  it('enables the table stream with old and new images, read by exactly two mappings (the per-shard reader limit)', () => {
    full.template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    const streamReaders = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && cfnText(r.Properties.EventSourceArn).endsWith('.StreamArn>'),
    );
    expect(streamReaders).toHaveLength(2);
  });

  it('exposes the push parts and sets no loopback flag or retry override on any function', () => {
    const idOf = (construct: IConstruct) => full.stack.getLogicalId(construct.node.defaultChild as CfnElement);
    expect(resources[idOf(full.stack.api.webhooks.deadLetterQueue)]?.Type).toBe('AWS::SQS::Queue');
    expect(resources[idOf(full.stack.api.taskEvents.eventBus)]?.Type).toBe('AWS::Events::EventBus');
    for (const r of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      const env = Object.keys(r.Properties.Environment?.Variables ?? {});
      expect(env).not.toContain('ALLOW_LOOPBACK_CALLBACKS');
      expect(env).not.toContain('LONGRUN_WEBHOOK_RETRY_DELAYS');
    }
  });
});
