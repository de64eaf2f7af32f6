/**
 * Creates the stack's table on DynamoDB Local from its template definition (never written twice):
 * KeySchema, AttributeDefinitions, GlobalSecondaryIndexes, LocalSecondaryIndexes, streams, and
 * the TTL attribute. Both `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable` shapes.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from './template-resources.ts';

function projection(p: any): any {
  if (!p) return { ProjectionType: 'ALL' };
  return {
    ProjectionType: p.ProjectionType ?? 'ALL',
    ...(p.NonKeyAttributes ? { NonKeyAttributes: p.NonKeyAttributes } : {}),
  };
}

/** The CreateTable request a template table definition stands for (PAY_PER_REQUEST). */
function createTableInput(table: TableDefinition): CreateTableCommandInput {
  const p = table.properties;
  const input: CreateTableCommandInput = {
    TableName: table.tableName,
    KeySchema: p.KeySchema,
    AttributeDefinitions: p.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
  };
  const gsis = (p.GlobalSecondaryIndexes ?? []) as any[];
  if (gsis.length > 0) {
    input.GlobalSecondaryIndexes = gsis.map((g) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: projection(g.Projection),
    }));
  }
  const lsis = (p.LocalSecondaryIndexes ?? []) as any[];
  if (lsis.length > 0) {
    input.LocalSecondaryIndexes = lsis.map((l) => ({
      IndexName: l.IndexName,
      KeySchema: l.KeySchema,
      Projection: projection(l.Projection),
    }));
  }
  const streamViewType = p.StreamSpecification?.StreamViewType;
  if (streamViewType) input.StreamSpecification = { StreamEnabled: true, StreamViewType: streamViewType };
  return input;
}

/** The TTL attribute name, if the template enables TTL. */
function ttlAttribute(table: TableDefinition): string | undefined {
  const ttl = table.properties.TimeToLiveSpecification;
  if (!ttl) return undefined;
  const enabled = ttl.Enabled === undefined ? table.type === 'AWS::DynamoDB::GlobalTable' : ttl.Enabled === true || ttl.Enabled === 'true';
  return enabled && ttl.AttributeName ? String(ttl.AttributeName) : undefined;
}

/**
 * Creates the table unless it exists (a persisted DynamoDB Local keeps it between runs), then
 * enables TTL if the template asks for it. Returns whether the table was created.
 */
export async function ensureTable(client: DynamoDBClient, table: TableDefinition): Promise<{ created: boolean }> {
  let created = false;
  try {
    await client.send(new DescribeTableCommand({ TableName: table.tableName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException') throw err;
    await client.send(new CreateTableCommand(createTableInput(table)));
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1, maxDelay: 1 }, { TableName: table.tableName });
    created = true;
  }
  const ttlName = ttlAttribute(table);
  if (ttlName) {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }));
    const status = current.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.tableName,
          TimeToLiveSpecification: { AttributeName: ttlName, Enabled: true },
        }),
      );
    }
  }
  return { created };
}
