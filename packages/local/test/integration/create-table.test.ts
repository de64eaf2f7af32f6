/** create-table from template fixtures, against a real DynamoDB Local (no mocks). */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../src/create-table.ts';
import { type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from '../../src/dynamodb-local.ts';
import { type CfnTemplate, localValues } from '../../src/template.ts';
import { findTable } from '../../src/template-resources.ts';
import { TABLE_RESOURCE } from '../support/table-fixture.ts';

const fixture: CfnTemplate = {
  Resources: {
    Table1: TABLE_RESOURCE,
  },
};

const globalTable: CfnTemplate = {
  Resources: {
    Global: {
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: {
        TableName: 'global-tasks',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          { IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
        Replicas: [{ Region: { Ref: 'AWS::Region' } }],
      },
    },
  },
};

let ddbLocal: DynamoDbLocal;
let client: DynamoDBClient;

beforeAll(async () => {
  ddbLocal = await startDynamoDbLocal();
  client = new DynamoDBClient({ endpoint: ddbLocal.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}, 90_000);

afterAll(async () => {
  client?.destroy();
  await ddbLocal?.stop();
});

describe('ensureTable (real DynamoDB Local)', () => {
  it('creates an AWS::DynamoDB::Table with its keys, GSI and TTL, once', async () => {
    const table = findTable(fixture, localValues(fixture));
    expect(await ensureTable(client, table)).toEqual({ created: true });
    const d = (await client.send(new DescribeTableCommand({ TableName: 'Table1' }))).Table!;
    expect(d.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(d.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(d.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.KeySchema, g.Projection?.ProjectionType])).toEqual([
      [
        'byOwner',
        [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        'ALL',
      ],
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'Table1' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
    // the index really works
    await client.send(new PutItemCommand({ TableName: 'Table1', Item: { id: { S: 't1' }, owner: { S: 'o1' } } }));
    const q = await client.send(
      new QueryCommand({
        TableName: 'Table1',
        IndexName: 'byOwner',
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': { S: 'o1' } },
      }),
    );
    expect(q.Items?.map((i) => i.id?.S)).toEqual(['t1']);
    // a second run (persisted data) leaves it alone
    expect(await ensureTable(client, table)).toEqual({ created: false });
  });

  it('creates an AWS::DynamoDB::GlobalTable shape (TableName, composite key, KEYS_ONLY GSI, TTL)', async () => {
    const table = findTable(globalTable, localValues(globalTable));
    expect(table.tableName).toBe('global-tasks');
    await ensureTable(client, table);
    const d = (await client.send(new DescribeTableCommand({ TableName: 'global-tasks' }))).Table!;
    expect(d.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(d.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'gsi1', Projection: { ProjectionType: 'KEYS_ONLY' } });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'global-tasks' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expires', TimeToLiveStatus: 'ENABLED' });
  });
});
