/**
 * One S3 client per container, created on first use. Locally the results bucket is served by an
 * emulator at `AWS_ENDPOINT_URL_S3`, which needs path-style addressing (read then, not at import).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { CLIENT_OPTIONS } from '#clients/timeouts';

let client: S3Client | undefined;

export function s3(): S3Client {
  client ??= new S3Client({ ...CLIENT_OPTIONS, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return client;
}
