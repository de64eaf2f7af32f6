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
import { historyEntry, outcomeEvent } from '#domain/history';
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
export async function getTask(id: string, options: { consistent?: boolean } = {}): Promise<TaskRecord | undefined> {
  const { Item } = await dynamodb.send(
    new GetCommand({ TableName: config.tableName, Key: { id }, ...(options.consistent && { ConsistentRead: true }) }),
  );
  return Item?.owner ? (Item as TaskRecord) : undefined;
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
    const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[1] : undefined;
    if (reason?.Code === 'ConditionalCheckFailed' && reason.Item) {
      return { created: false, existing: unmarshall(reason.Item) as IdempotencyRecord };
    }
    throw error;
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

/** Options of {@link transition}. */
export interface TransitionWriteOptions extends Omit<TransitionOptions, 'attemptGuard'> {
  /** Only the caller's task. */
  owner?: string;
  /** Only while the task is at this attempt (the writer acts for one execution or deadline). */
  attempt?: number;
  /** Why, in the history entry (a problem kind, e.g. `deadline-exceeded`). */
  detail?: string;
}

/**
 * Moves a task to `to` if the transition table allows it from its current status, appending its
 * history entry. `fields` are set alongside (e.g. `error`).
 */
export function transition(
  id: string,
  to: Exclude<TaskStatus, 'pending'>,
  now: string,
  fields: Record<string, unknown> = {},
  options: TransitionWriteOptions = {},
): Promise<WriteOutcome> {
  const values: Record<string, unknown> = Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value]));
  values[':now'] = now;
  values[':history'] = historyEntry(to === 'running' ? 'started' : outcomeEvent(to), to, now, options.detail);
  if (options.attempt !== undefined) values[':attempt'] = options.attempt;
  return conditionalUpdate(
    id,
    transitionExpression(to, Object.keys(fields), { keepOpen: options.keepOpen, attemptGuard: options.attempt !== undefined }),
    values,
    options.owner === undefined ? undefined : { condition: '#owner = :owner', names: { '#owner': 'owner' }, values: { ':owner': options.owner } },
  );
}

export interface Page {
  items: TaskRecord[];
  /** The id to continue after, if there may be more. */
  lastId?: string;
}

/** What a listing keeps: every filter is ANDed; ids bound the creation time (ids sort by it). */
export interface OwnerQuery {
  limit: number;
  afterId?: string;
  /** Only ids at or above this one (created at or after its time). */
  idFrom?: string;
  /** Only ids below this one (created before its time). */
  idBelow?: string;
  status?: TaskStatus;
  type?: string;
  /** `[key, value]` pairs, each of which must match. */
  metadata?: Array<[string, string]>;
  /** Index pages read at most per call: a filtered listing stays bounded in reads. @default 5 */
  maxPages?: number;
}

/** The key condition and filter of a listing. */
function ownerQueryExpressions(owner: string, options: OwnerQuery) {
  const names: Record<string, string> = { '#owner': 'owner', '#purgedAt': 'purgedAt' };
  const values: Record<string, unknown> = { ':owner': owner };
  let key = '#owner = :owner';
  if (options.idFrom !== undefined && options.idBelow !== undefined) {
    names['#id'] = 'id';
    Object.assign(values, { ':idFrom': options.idFrom, ':idBelow': options.idBelow });
    // BETWEEN is inclusive; the upper bound is exclusive: no id equals it (its version nibble is 0).
    key += ' AND #id BETWEEN :idFrom AND :idBelow';
  } else if (options.idFrom !== undefined) {
    names['#id'] = 'id';
    values[':idFrom'] = options.idFrom;
    key += ' AND #id >= :idFrom';
  } else if (options.idBelow !== undefined) {
    names['#id'] = 'id';
    values[':idBelow'] = options.idBelow;
    key += ' AND #id < :idBelow';
  }
  const filter = ['attribute_not_exists(#purgedAt)'];
  if (options.status) {
    names['#status'] = 'status';
    values[':status'] = options.status;
    filter.push('#status = :status');
  }
  if (options.type) {
    names['#type'] = 'type';
    values[':type'] = options.type;
    filter.push('#type = :type');
  }
  (options.metadata ?? []).forEach(([name, value], i) => {
    names['#metadata'] = 'metadata';
    names[`#m${i}`] = name;
    values[`:m${i}`] = value;
    filter.push(`#metadata.#m${i} = :m${i}`);
  });
  return { key, filter: filter.join(' AND '), names, values };
}

/** The caller's tasks, newest first, filtered; reads at most `maxPages` index pages of `limit` items. */
export async function queryByOwner(owner: string, options: OwnerQuery): Promise<Page> {
  const items: TaskRecord[] = [];
  const { key, filter, names, values } = ownerQueryExpressions(owner, options);
  let startKey: Record<string, unknown> | undefined = options.afterId ? { owner, id: options.afterId } : undefined;
  for (let page = 0; page < (options.maxPages ?? 5); page++) {
    const result = await dynamodb.send(
      new QueryCommand({
        TableName: config.tableName,
        IndexName: OWNER_INDEX.name,
        KeyConditionExpression: key,
        FilterExpression: filter,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
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
 * Records a webhook attempt (`callback`) of the event ordered `seq`, if no other copy of the
 * delivery recorded attempt `previousAttempts + 1` first and no newer event took the state over.
 * Leaves `updatedAt` alone; bumps `version`.
 */
export function recordCallback(id: string, callback: CallbackState, seq: number, previousAttempts: number): Promise<WriteOutcome> {
  return conditionalUpdate(id, callbackExpression(seq, previousAttempts), { ':callback': { ...callback, seq } });
}
