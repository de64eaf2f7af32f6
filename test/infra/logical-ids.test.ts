/**
 * The logical ids of everything that holds state, pinned: a new logical id makes CloudFormation
 * create a new resource and delete the old one, with its data (tasks, results, queued messages),
 * its position in the stream (a mapping starts again from the trim horizon), its subscribers (the
 * alarm topic, rules on the bus) or its running executions. A refactoring that moves one of these
 * keeps the id (`overrideLogicalId`, or a construct id of `Default`); it never edits this list.
 */
import { describe, expect, it } from 'vitest';
import { buildStack } from './fixture.ts';

const PINNED: Record<string, string> = {
  TaskApiTable2CB96E39: 'AWS::DynamoDB::Table',
  TaskApiResultsBucketD46CA3CA: 'AWS::S3::Bucket',
  TaskApiWorkflowStateMachine01C78891: 'AWS::StepFunctions::StateMachine',
  TaskApiBackstopReconcileDeadLetterQueue19F5A188: 'AWS::SQS::Queue',
  TaskApiBackstopReconcileFailureQueue5797B53D: 'AWS::SQS::Queue',
  TaskApiWebhooksQueue8D217E87: 'AWS::SQS::Queue',
  TaskApiWebhooksDeadLetterQueue03A0230C: 'AWS::SQS::Queue',
  TaskApiWebhooksStreamFailureQueueA908E9C8: 'AWS::SQS::Queue',
  TaskApiEventsStreamFailureQueue24C97F0E: 'AWS::SQS::Queue',
  TaskApiWebhooksForwardFunctionTerminalTransitions6EE480EA: 'AWS::Lambda::EventSourceMapping',
  TaskApiEventsPublishFunctionStatusChanges956FB0C1: 'AWS::Lambda::EventSourceMapping',
  TaskApiWebhooksDeliveryFunctionDeliveries3256E2EF: 'AWS::Lambda::EventSourceMapping',
  TaskApiEventsBus6C14784D: 'AWS::Events::EventBus',
  TaskApiMonitoringAlarmTopic22D24599: 'AWS::SNS::Topic',
  TaskApiHttpRestApiAccount22629A46: 'AWS::ApiGateway::Account',
};

/** Types whose every resource must be in PINNED: a new one is added here on purpose, with its id. */
const STATEFUL_TYPES = ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Lambda::EventSourceMapping', 'AWS::Events::EventBus'];

describe('logical ids of stateful resources', () => {
  const { template } = buildStack();
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;

  it.each(Object.entries(PINNED))('%s is still a %s', (id, type) => {
    expect(resources[id]?.Type, `${id} was renamed or removed: CloudFormation would replace it`).toBe(type);
  });

  it('every table, bucket, queue, stream mapping and bus of the stack is pinned', () => {
    const unpinned = Object.entries(resources)
      .filter(([id, r]) => STATEFUL_TYPES.includes(r.Type) && !(id in PINNED))
      .map(([id, r]) => `${r.Type} ${id}`);
    expect(unpinned).toEqual([]);
  });

  it('the table is retained, deletion-protected and kept on replacement', () => {
    const table = template.toJSON().Resources.TaskApiTable2CB96E39;
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { DeletionProtectionEnabled: true } });
  });
});
