/**
 * The DynamoDB task store. Every status change is one conditional write built from
 * `#domain/transitions`; a failed condition comes back with the item as it was, so callers learn
 * why without a second read.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamodb } from '#clients/dynamodb';
import { config } from '#config';
import { OWNER_INDEX } from '#domain/owner-index';
import type { CallbackState, TaskRecord, TaskStatus } from '#domain/task';
import { callbackExpression, type TransitionExpression, type TransitionOptions, transitionExpression, updateExpression } from '#domain/transitions';

/** An idempotency record: a second item kind in the table, keyed apart from tasks. */
export interface IdempotencyRecord {
  id: string;
  taskId: string;
  requestHash: string;
  ttl: number;
}

export type WriteOutcome = { ok: true; task: TaskRecord } | { ok: false; current?: TaskRecord };

/** `consistent`: a strongly consistent read (twice the read units), for watchers that must see the latest write. */
export interface ReadOptions {
  consistent?: boolean;
  /** Only these attributes (a projection): less to transfer and parse. DynamoDB bills the whole item either way. */
  attributes?: readonly string[];
}

/** `#a0, #a1, …` for `attributes`, with their names. */
function projection(attributes: readonly string[] | undefined) {
  if (!attributes) return {};
  const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

export async function getTask(id: string, options: ReadOptions = {}): Promise<TaskRecord | undefined> {
  const { Item } = await dynamodb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: { id },
      ...(options.consistent && { ConsistentRead: true }),
      ...projection(options.attributes),
    }),
  );
  return Item?.owner ? (Item as TaskRecord) : undefined;
}

/**
 * A task's entry in the owner index: what a client sees of it (the index projects exactly the
 * representation's attributes), read eventually consistent. Half a read unit for an entry up to
 * 4 KB whatever the size of the task's input and result, where a strongly consistent GetItem costs
 * one unit per 4 KB of the whole item: the cheap probe of a watcher. May lag the table by a moment.
 */
export async function getIndexedTask(owner: string, id: string): Promise<Partial<TaskRecord> | undefined> {
  const { Items } = await dynamodb.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: OWNER_INDEX.name,
      KeyConditionExpression: '#owner = :owner AND #id = :id',
      ExpressionAttributeNames: { '#owner': OWNER_INDEX.partitionKey, '#id': OWNER_INDEX.sortKey },
      ExpressionAttributeValues: { ':owner': owner, ':id': id },
    }),
  );
  return Items?.[0] as Partial<TaskRecord> | undefined;
}

export async function putTask(task: TaskRecord): Promise<void> {
  try {
    await dynamodb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: task,
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
  } catch (error) {
    // Ids are unguessable, so the item can only exist because an SDK retry after a request timeout
    // follows our own write that did land: the task is there, which is what was asked.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Creates the task and claims the idempotency key in one transaction. If the key is already
 * claimed (and not expired), nothing is written and the existing claim is returned.
 */
export async function putTaskClaimingKey(
  task: TaskRecord,
  claim: IdempotencyRecord,
  nowSeconds: number,
): Promise<{ created: true } | { created: false; existing: IdempotencyRecord }> {
  try {
    await dynamodb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: config.tableName,
              Item: task,
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': 'id' },
            },
          },
          {
            Put: {
              TableName: config.tableName,
              Item: claim,
              ConditionExpression: 'attribute_not_exists(#id) OR #ttl < :now',
              ExpressionAttributeNames: { '#id': 'id', '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':now': nowSeconds },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
    );
    return { created: true };
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
    const reason = reasons[1];
    if (reason?.Code === 'ConditionalCheckFailed' && reason.Item) {
      return { created: false, existing: unmarshall(reason.Item) as IdempotencyRecord };
    }
    // Another request with the same key is claiming it at this very moment: ours lost the race.
    if (reasons.some((r) => r.Code === 'TransactionConflict')) throw new ClaimConflict();
    throw error;
  }
}

/** A racing request holds the same idempotency key's claim in a transaction of its own. */
export class ClaimConflict extends Error {
  constructor() {
    super('Another request is claiming this idempotency key');
    this.name = 'ClaimConflict';
  }
}

export async function releaseKey(claimId: string): Promise<void> {
  await dynamodb.send(new DeleteCommand({ TableName: config.tableName, Key: { id: claimId } }));
}

/** One conditional UpdateItem built from a domain expression; a failed condition returns the item as it was. */
export async function conditionalUpdate(
  id: string,
  expression: TransitionExpression,
  values: Record<string, unknown>,
  extraCondition?: { condition: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<WriteOutcome> {
  try {
    const { Attributes } = await dynamodb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { id },
        UpdateExpression: updateExpression(expression),
        ConditionExpression: extraCondition ? `${expression.condition} AND ${extraCondition.condition}` : expression.condition,
        ExpressionAttributeNames: { ...expression.names, ...extraCondition?.names },
        ExpressionAttributeValues: { ...expression.values, ...values, ...extraCondition?.values },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { ok: true, task: Attributes as TaskRecord };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      const current = error.Item ? (unmarshall(error.Item) as TaskRecord) : undefined;
      return { ok: false, ...(current?.owner && { current }) };
    }
    throw error;
  }
}

/**
 * Moves a task to `to` if the transition table allows it from its current status. `fields` are
 * set alongside (e.g. `error`); `owner`, when given, must match too (any of them, for a list).
 */
export function transition(
  id: string,
  to: Exclude<TaskStatus, 'pending'>,
  now: string,
  fields: Record<string, unknown> = {},
  owner?: string | readonly string[],
  options: TransitionOptions = {},
): Promise<WriteOutcome> {
  const values = Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value]));
  const owners = owner === undefined ? [] : typeof owner === 'string' ? [owner] : owner;
  return conditionalUpdate(
    id,
    transitionExpression(to, Object.keys(fields), options),
    { ...values, ':now': now },
    owners.length === 0
      ? undefined
      : {
          condition: `#owner IN (${owners.map((_, i) => `:owner${i}`).join(', ')})`,
          names: { '#owner': 'owner' },
          values: Object.fromEntries(owners.map((o, i) => [`:owner${i}`, o])),
        },
  );
}

export interface Page {
  items: TaskRecord[];
  /** The id to continue after, if there may be more. */
  lastId?: string;
}

/** The caller's tasks, newest first. With a status filter, reads at most `maxPages` index pages. */
export async function queryByOwner(
  owner: string,
  options: { limit: number; afterId?: string; status?: TaskStatus; maxPages?: number },
): Promise<Page> {
  const items: TaskRecord[] = [];
  let startKey: Record<string, unknown> | undefined = options.afterId ? { owner, id: options.afterId } : undefined;
  for (let page = 0; page < (options.maxPages ?? 5); page++) {
    const result = await dynamodb.send(
      new QueryCommand({
        TableName: config.tableName,
        IndexName: OWNER_INDEX.name,
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', ...(options.status && { '#status': 'status' }) },
        ExpressionAttributeValues: { ':owner': owner, ...(options.status && { ':status': options.status }) },
        ...(options.status && { FilterExpression: '#status = :status' }),
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((result.Items ?? []) as TaskRecord[]));
    startKey = result.LastEvaluatedKey;
    if (items.length >= options.limit) {
      const kept = items.slice(0, options.limit);
      const more = items.length > options.limit || startKey !== undefined;
      return { items: kept, ...(more && { lastId: kept[kept.length - 1]!.id }) };
    }
    if (!startKey) return { items };
  }
  return { items, lastId: (startKey as { id: string }).id };
}

/**
 * Records a webhook attempt (`callback`), if no other copy of the delivery recorded attempt
 * `previousAttempts + 1` first. Leaves `updatedAt` alone; bumps `version`.
 */
export function recordCallback(id: string, callback: CallbackState, previousAttempts: number): Promise<WriteOutcome> {
  return conditionalUpdate(id, callbackExpression(previousAttempts), { ':callback': callback });
}
