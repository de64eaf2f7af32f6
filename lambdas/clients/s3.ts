/**
 * One S3 client per container, and the results bucket (validated at cold start). Locally the
 * bucket is served by an emulator at `AWS_ENDPOINT_URL_S3`, which needs path-style addressing.
 */
import { S3Client } from '@aws-sdk/client-s3';

function resultsBucketFromEnv(): string {
  const bucket = process.env.RESULTS_BUCKET_NAME;
  if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error('environment variable RESULTS_BUCKET_NAME must be an S3 bucket name');
  }
  return bucket;
}

export const RESULTS_BUCKET = resultsBucketFromEnv();

export const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
