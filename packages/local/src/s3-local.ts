/**
 * A local S3 for the results bucket: s3rver (an npm S3 emulator) on a free loopback port, with the
 * template's buckets created, files in `<persistDir>/s3` or in a temporary directory removed on
 * stop. Handlers reach it through `AWS_ENDPOINT_URL_S3` with path-style addressing, and the
 * presigned URLs they issue point at it, so a client downloads a stored result from it directly.
 *
 * s3rver checks that a presigned URL has not expired and names a known access key, but does not
 * verify SigV4 signatures (AWS does).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import S3rver from 's3rver';
import { LOCAL_CREDENTIALS } from './dynamodb-local.ts';
import type { BucketDefinition } from './template-resources.ts';

export interface S3LocalOptions {
  /** Buckets to create, with their CORS rules (idempotent: an existing bucket keeps its objects). */
  buckets: BucketDefinition[];
  /** Keep objects under `<persistDir>/s3` between runs (default: a temporary directory). */
  persistDir?: string;
  /** Port on 127.0.0.1; 0 / undefined = a free port. */
  port?: number;
}

export interface S3Local {
  endpoint: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  // s3rver accepts only access keys it knows; the handlers sign with the local dummy credentials.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
    DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
  };
  DUMMY_ACCOUNT.createKeyPair(LOCAL_CREDENTIALS.accessKeyId, LOCAL_CREDENTIALS.secretAccessKey);

  const persistent = options.persistDir !== undefined;
  const directory = persistent ? resolve(options.persistDir!, 's3') : mkdtempSync(join(tmpdir(), 'longrun-s3-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((bucket) => ({ name: bucket.name, configs: bucket.corsRules ? [corsXml(bucket.corsRules)] : [] })),
  });
  let address: { port: number };
  try {
    address = (await server.run()) as { port: number };
  } catch (err) {
    if (!persistent) rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        if (!persistent) rmSync(directory, { recursive: true, force: true });
      })()),
  };
}

/** A bucket's CORS rules as the S3 API's XML, which s3rver takes. */
function corsXml(rules: NonNullable<BucketDefinition['corsRules']>): string {
  const tags = (name: string, values: string[] = []) => values.map((v) => `<${name}>${v}</${name}>`).join('');
  const body = rules
    .map(
      (r) =>
        `<CORSRule>${tags('AllowedOrigin', r.AllowedOrigins)}${tags('AllowedMethod', r.AllowedMethods)}${tags('AllowedHeader', r.AllowedHeaders)}${
          r.MaxAge === undefined ? '' : `<MaxAgeSeconds>${r.MaxAge}</MaxAgeSeconds>`
        }</CORSRule>`,
    )
    .join('');
  return `<CORSConfiguration>${body}</CORSConfiguration>`;
}
