/** Rows written straight into DynamoDB Local, for states a test cannot wait for (old, finished). */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { newTaskId } from '#domain/ids';
import type { TaskRecord } from '#domain/task';
import { aTask } from './task-builder.ts';

function client() {
  const stack = inject('localStack');
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
}

/** A fresh caller: its API key id, and the owner our handlers derive from it. */
export function newCaller() {
  const apiKeyId = `test-${randomUUID()}`;
  return { apiKeyId, owner: `key:${apiKeyId}` };
}

export async function putRow(row: Partial<TaskRecord> & { owner: string }, createdAt: number = Date.now()): Promise<TaskRecord> {
  const iso = new Date(createdAt).toISOString();
  const task = aTask({ id: newTaskId(createdAt), createdAt: iso, updatedAt: iso, ttl: Math.ceil(createdAt / 1000) + 10 * 86400, ...row });
  await client().send(new PutCommand({ TableName: inject('localStack').tableName, Item: task }));
  return task;
}

export async function getRow(id: string): Promise<TaskRecord | undefined> {
  const { Item } = await client().send(new GetCommand({ TableName: inject('localStack').tableName, Key: { id } }));
  return Item as TaskRecord | undefined;
}

/** Every row that belongs to `owner` (tests use a fresh owner, so this is what they wrote): every page of a scan. */
export async function rowsOf(owner: string): Promise<TaskRecord[]> {
  return scanAll('#o = :o', { '#o': 'owner' }, { ':o': owner });
}

/** A whole-table scan, every page (one page stops at 1 MB: the shared table outgrows it). */
async function scanAll(filter: string, names: Record<string, string>, values: Record<string, unknown>): Promise<TaskRecord[]> {
  const rows: TaskRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client().send(
      new ScanCommand({
        TableName: inject('localStack').tableName,
        FilterExpression: filter,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: start,
      }),
    );
    rows.push(...((page.Items ?? []) as TaskRecord[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
}

/** Every task row whose stored input contains `marker` (a whole-table scan, every page). */
export async function rowsWithInputContaining(marker: string): Promise<TaskRecord[]> {
  return scanAll('contains(#input, :marker)', { '#input': 'input' }, { ':marker': marker });
}
