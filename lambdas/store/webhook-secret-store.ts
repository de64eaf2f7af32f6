/**
 * Each caller's webhook signing secret: a third item kind in the task table (after tasks and
 * idempotency claims), keyed by a hash of the owner. It has no `owner` or `status` attribute, so
 * task reads treat it as absent, the owner index never holds it and no stream filter passes it.
 * Secret values are never logged, and never leave through an error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#clients/dynamodb';
import { config } from '#config';

/** For how long the previous secret keeps signing after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface WebhookSecretRecord {
  id: string;
  /** `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
  secret: string;
  createdAt: string;
  previousSecret?: string;
  /** Until when `previousSecret` signs too (ISO time). */
  previousExpiresAt?: string;
}

function itemId(owner: string): string {
  return `webhook-secret#${createHash('sha256').update(owner).digest('hex')}`;
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

async function read(owner: string): Promise<WebhookSecretRecord | undefined> {
  const { Item } = await dynamodb.send(new GetCommand({ TableName: config.tableName, Key: { id: itemId(owner) }, ConsistentRead: true }));
  return Item as WebhookSecretRecord | undefined;
}

/**
 * Removes a previous secret whose overlap is over: a secret that signs nothing is not kept. Only
 * if it is still the one seen (a rotation meanwhile set a new one).
 */
async function dropExpiredPrevious(record: WebhookSecretRecord, now: Date): Promise<WebhookSecretRecord> {
  if (!record.previousSecret || !record.previousExpiresAt || Date.parse(record.previousExpiresAt) > now.getTime()) return record;
  try {
    await dynamodb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { id: record.id },
        UpdateExpression: 'REMOVE #previousSecret, #previousExpiresAt',
        ConditionExpression: '#previousExpiresAt = :seen',
        ExpressionAttributeNames: { '#previousSecret': 'previousSecret', '#previousExpiresAt': 'previousExpiresAt' },
        ExpressionAttributeValues: { ':seen': record.previousExpiresAt },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const { previousSecret: _gone, previousExpiresAt: _over, ...current } = record;
  return current;
}

/** The caller's secret, created on first use (two racing first uses end with the same one). */
export async function getOrCreateSecret(owner: string, now: Date = new Date()): Promise<WebhookSecretRecord> {
  const existing = await read(owner);
  if (existing) return dropExpiredPrevious(existing, now);
  const record: WebhookSecretRecord = { id: itemId(owner), secret: newSecret(), createdAt: now.toISOString() };
  try {
    await dynamodb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: record,
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
    return record;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const winner = await read(owner);
    if (!winner) throw error;
    return winner;
  }
}

/**
 * A new secret; the current one becomes `previousSecret` and keeps signing for 24 hours. The
 * write is conditional on the secret it replaces, so two racing rotations cannot lose one.
 */
export async function rotateSecret(owner: string, now: Date = new Date()): Promise<WebhookSecretRecord> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await getOrCreateSecret(owner, now);
    try {
      const { Attributes } = await dynamodb.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { id: current.id },
          UpdateExpression: 'SET #secret = :secret, #createdAt = :now, #previousSecret = :previous, #previousExpiresAt = :until',
          ConditionExpression: '#secret = :seen',
          ExpressionAttributeNames: {
            '#secret': 'secret',
            '#createdAt': 'createdAt',
            '#previousSecret': 'previousSecret',
            '#previousExpiresAt': 'previousExpiresAt',
          },
          ExpressionAttributeValues: {
            ':secret': newSecret(),
            ':now': now.toISOString(),
            ':previous': current.secret,
            ':until': new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString(),
            ':seen': current.secret,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as WebhookSecretRecord;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  throw new Error('webhook secret rotation kept racing');
}

/** The secrets that sign now: the current one, and the previous one during its overlap. */
export function signingSecrets(record: WebhookSecretRecord, now: Date = new Date()): string[] {
  const previousValid = record.previousSecret && record.previousExpiresAt && Date.parse(record.previousExpiresAt) > now.getTime();
  return previousValid ? [record.secret, record.previousSecret!] : [record.secret];
}
