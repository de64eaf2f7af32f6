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

/** Options of {@link transition}. */
export interface TransitionWriteOptions extends Omit<TransitionOptions, 'attemptGuard'> {
  /** Only the caller's task (any of its owners, for a list). */
  owner?: string | readonly string[];
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
  const owners = options.owner === undefined ? [] : typeof options.owner === 'string' ? [options.owner] : options.owner;
  return conditionalUpdate(
    id,
    transitionExpression(to, Object.keys(fields), { keepOpen: options.keepOpen, attemptGuard: options.attempt !== undefined }),
    values,
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
