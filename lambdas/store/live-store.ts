/**
 * The live channel's items in the task table (see `#domain/live`): watch tokens, connections and
 * each owner's subscriptions. Reads that decide who gets a message are strongly consistent, so a
 * subscription written before a task write is always seen by the fan-out of that write.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#clients/dynamodb';
import { config } from '#config';
import {
  type ConnectionRecord,
  connectionItemId,
  FOLLOW_NONCE_ATTRIBUTE,
  FOLLOWED_ATTRIBUTE,
  newFollowNonce,
  type Subscription,
  subscriptionKey,
  subscriptionsItemId,
  subscriptionsOf,
  type WatchTokenRecord,
} from '#domain/live';

/** DynamoDB keeps a live item an hour past its own end (TTL runs late anyway; `expiresAt` is what counts). */
const TTL_MARGIN_SECONDS = 3600;
/** BatchGetItem's limit. */
const BATCH_GET_MAX = 100;

export async function putToken(record: Omit<WatchTokenRecord, 'ttl'>): Promise<void> {
  await dynamodb.send(new PutCommand({ TableName: config.tableName, Item: { ...record, ttl: record.expiresAt + TTL_MARGIN_SECONDS } }));
}

export async function getToken(id: string): Promise<WatchTokenRecord | undefined> {
  const { Item } = await dynamodb.send(new GetCommand({ TableName: config.tableName, Key: { id }, ConsistentRead: true }));
  return Item as WatchTokenRecord | undefined;
}

export async function putConnection(record: Omit<ConnectionRecord, 'id' | 'ttl'>): Promise<void> {
  await dynamodb.send(
    new PutCommand({
      TableName: config.tableName,
      Item: { id: connectionItemId(record.connectionId), ...record, ttl: record.expiresAt + TTL_MARGIN_SECONDS },
    }),
  );
}

export async function getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
  const { Item } = await dynamodb.send(
    new GetCommand({ TableName: config.tableName, Key: { id: connectionItemId(connectionId) }, ConsistentRead: true }),
  );
  return Item as ConnectionRecord | undefined;
}

export async function deleteConnection(connectionId: string): Promise<void> {
  await dynamodb.send(new DeleteCommand({ TableName: config.tableName, Key: { id: connectionItemId(connectionId) } }));
}

/**
 * Marks an open task of `owner` as followed (until `until`, epoch seconds: informational, the
 * stream filter only asks whether it is there), so that its progress writes reach the live
 * channel, with a new follow nonce (written after the subscription, so the fan-out reads it). False
 * when the task is not `owner`'s, is gone or has ended. Nothing a client sees changes: `version` stays.
 */
export async function markFollowed(taskId: string, owner: string, until: number): Promise<boolean> {
  try {
    await dynamodb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { id: taskId },
        UpdateExpression: 'SET #followed = :until, #nonce = :nonce',
        ConditionExpression: 'attribute_exists(#id) AND #owner = :owner AND #status IN (:pending, :running)',
        // Exactly FOLLOW_WRITE_ATTRIBUTES (the IAM grant allows no other attribute of a task row).
        ExpressionAttributeNames: {
          '#id': 'id',
          '#owner': 'owner',
          '#status': 'status',
          '#followed': FOLLOWED_ATTRIBUTE,
          '#nonce': FOLLOW_NONCE_ATTRIBUTE,
        },
        ExpressionAttributeValues: { ':owner': owner, ':pending': 'pending', ':running': 'running', ':until': until, ':nonce': newFollowNonce() },
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return false;
  }
}

/**
 * Adds a subscription to `owner`'s item (created by the first one); resolves with how many
 * subscriptions the connection now holds there.
 */
export async function addSubscription(owner: string, subscription: Subscription, nowSeconds: number): Promise<number> {
  const { Attributes } = await dynamodb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: { id: subscriptionsItemId(owner) },
      // The item outlives every connection that writes to it (each lives at most 2 hours).
      UpdateExpression: 'SET #key = :entry, #ttl = :ttl',
      ExpressionAttributeNames: { '#key': subscriptionKey(subscription.connectionId, subscription.taskId), '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':entry': { u: subscription.until, v: subscription.since },
        ':ttl': Math.max(subscription.until, nowSeconds) + TTL_MARGIN_SECONDS,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return subscriptionsOf(Attributes).filter((s) => s.connectionId === subscription.connectionId).length;
}

/** Records that a follower has `version` of the task it follows (unless the subscription is gone meanwhile). */
export async function advanceSubscription(
  owner: string,
  subscription: Pick<Subscription, 'connectionId' | 'taskId'>,
  version: number,
): Promise<void> {
  try {
    await dynamodb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { id: subscriptionsItemId(owner) },
        UpdateExpression: 'SET #key.#v = :version',
        ConditionExpression: 'attribute_exists(#key) AND #key.#v < :version',
        ExpressionAttributeNames: { '#key': subscriptionKey(subscription.connectionId, subscription.taskId), '#v': 'v' },
        ExpressionAttributeValues: { ':version': version },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Removes subscriptions from `owner`'s item (nothing to do for none). */
export async function removeSubscriptions(owner: string, subscriptions: readonly Pick<Subscription, 'connectionId' | 'taskId'>[]): Promise<void> {
  if (subscriptions.length === 0) return;
  const names = Object.fromEntries(subscriptions.map((s, i) => [`#s${i}`, subscriptionKey(s.connectionId, s.taskId)]));
  await dynamodb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: { id: subscriptionsItemId(owner) },
      UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
      ExpressionAttributeNames: names,
    }),
  );
}

/** The subscriptions to the tasks of each owner, read strongly consistent (an owner nobody follows: none). */
export async function subscriptionsOfOwners(owners: readonly string[]): Promise<Map<string, Subscription[]>> {
  const out = new Map<string, Subscription[]>(owners.map((owner) => [owner, []]));
  const ownerOf = new Map(owners.map((owner) => [subscriptionsItemId(owner), owner]));
  let pending = [...ownerOf.keys()].map((id) => ({ id }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    const chunk = pending.slice(0, BATCH_GET_MAX);
    const { Responses, UnprocessedKeys } = await dynamodb.send(
      new BatchGetCommand({ RequestItems: { [config.tableName]: { Keys: chunk, ConsistentRead: true } } }),
    );
    for (const item of Responses?.[config.tableName] ?? []) out.set(ownerOf.get(item.id as string)!, subscriptionsOf(item));
    const unprocessed = (UnprocessedKeys?.[config.tableName]?.Keys ?? []) as { id: string }[];
    if (unprocessed.length > 0 && attempt >= 5) throw new Error(`BatchGetItem left ${unprocessed.length} subscriptions items unread`);
    if (unprocessed.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    pending = [...unprocessed, ...pending.slice(BATCH_GET_MAX)];
  }
  return out;
}
