/**
 * Lease slots in the task table: taking one is a conditional put that succeeds only on a free or
 * expired slot; giving it back deletes it only if it is still ours.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#clients/dynamodb';
import { config } from '#config';

/** Takes the first free (or expired) slot of `slots`, tried in order; undefined when all are taken. */
export async function takeSlot(slots: readonly string[], lease: string, expiresAt: number, now: number): Promise<string | undefined> {
  for (const id of slots) {
    try {
      await dynamodb.send(
        new PutCommand({
          TableName: config.tableName,
          // `ttl` lets DynamoDB delete leases nobody gave back; `expiresAt` is what counts (TTL may run late).
          Item: { id, lease, expiresAt, ttl: expiresAt + 3600 },
          ConditionExpression: 'attribute_not_exists(#id) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#id': 'id', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return id;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return undefined;
}

/** Gives a slot back, unless it expired and someone else took it meanwhile. */
export async function giveBack(slot: string, lease: string): Promise<void> {
  try {
    await dynamodb.send(
      new DeleteCommand({
        TableName: config.tableName,
        Key: { id: slot },
        ConditionExpression: '#lease = :lease',
        ExpressionAttributeNames: { '#lease': 'lease' },
        ExpressionAttributeValues: { ':lease': lease },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
