import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { buildStack } from './fixture.ts';

const { template } = buildStack();

describe('task table', () => {
  it('has partition key id (S), on-demand billing, PITR, TTL on ttl and AWS managed encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('has the tasksByOwner index: owner (HASH), id (RANGE), projecting only what the representation reads and lists filter on', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'tasksByOwner',
          KeySchema: [
            { AttributeName: 'owner', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
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
              'attempt',
              'deadline',
              'metadata',
              'awaitingInput',
              'compensation',
              'purgedAt',
            ],
          },
        },
      ]),
    });
  });

  it('has the sparse open-task index: openShard (N, HASH), sweepAt (S, RANGE), projecting only status and createdAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'openShard', AttributeType: 'N' },
        { AttributeName: 'sweepAt', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'openTasks',
          KeySchema: [
            { AttributeName: 'openShard', KeyType: 'HASH' },
            { AttributeName: 'sweepAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'createdAt'] },
        },
      ]),
    });
  });

  it('is retained by default when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
