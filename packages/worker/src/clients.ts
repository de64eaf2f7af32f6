/**
 * The AWS clients a worker uses, created once per container on first use (so the environment may
 * be set after import), with short connection and request timeouts: a hung socket fails in
 * seconds and is retried (3 attempts) instead of eating the worker's time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;

let documentClient: DynamoDBDocumentClient | undefined;
let s3Client: S3Client | undefined;

export function dynamodb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient(CLIENT_OPTIONS), { marshallOptions: { removeUndefinedValues: true } });
  return documentClient;
}

export function s3(): S3Client {
  // Locally the results bucket is served by an emulator at AWS_ENDPOINT_URL_S3, which needs path-style addressing.
  s3Client ??= new S3Client({ ...CLIENT_OPTIONS, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return s3Client;
}

/** An environment variable the construct sets for a granted worker (`grantProgress`, `grantResultWrite`). */
export function requiredEnv(name: string, grant: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set: give this function ${grant} on the AsyncTaskApi`);
  return value;
}
