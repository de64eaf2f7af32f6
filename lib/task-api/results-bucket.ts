/**
 * ResultsBucket: where results too large for the workflow (256 KB) or the task row live.
 * worker --storeLargeResult--> s3://bucket/results/<taskId>.json; result route --> presigned GET (303)
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { allow } from './grants.ts';

/** The prefix every result object lives under (`results/<taskId>.json`, see `#domain/result-pointer`). */
const RESULTS_PREFIX = 'results/';

/** What {@link ResultsBucket} receives. */
export interface ResultsBucketProps {
  /** How long a finished task is kept; stored results expire with it. */
  readonly retention: Duration;
  /** The longest a task may run: a worker may store its result before it finishes. */
  readonly executionTimeout: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Where S3 server access logs go (prefix `results-bucket/`). @default - no access logs (acknowledged) */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /** Browser origins of the API (its `corsAllowOrigins`): browsers may then follow the 303 to a result. @default - no CORS */
  readonly corsAllowOrigins?: string[];
  /** Encrypt results with this key (SSE-KMS, with an S3 Bucket Key). @default - S3 managed keys (SSE-S3) */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The bucket of results too large to return inline (`results/<taskId>.json`): private, encrypted,
 * TLS only, objects expiring with their task. Grants reads to the result route and writes to workers.
 */
export class ResultsBucket extends Construct {
  /** Private, encrypted, TLS only; objects expire after retention + execution timeout. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ResultsBucketProps) {
    super(scope, id);
    // Lifecycle rules count whole days from the object's creation; a result may be stored while its
    // task still runs, so it must outlive the task's longest run plus its retention.
    const expirationDays = Math.ceil((props.retention.toSeconds() + props.executionTimeout.toSeconds()) / 86_400);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? 'results-bucket/' : undefined,
      // A browser that follows a cross-origin redirect sends `Origin: null`, so the rule cannot name
      // the API's origins; the presigned URL itself is the credential.
      cors: props.corsAllowOrigins?.length
        ? [{ allowedOrigins: ['*'], allowedMethods: [s3.HttpMethods.GET], allowedHeaders: ['*'], maxAge: 3600 }]
        : undefined,
      lifecycleRules: [{ id: 'ExpireWithTask', expiration: Duration.days(expirationDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    if (!props.serverAccessLogsBucket) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'No server access logs by default (pass serverAccessLogsBucket to get them): objects are written only by worker roles and read only through presigned URLs the result route issues to the task owner, five minutes at a time; the API access log records each of those requests.',
      });
    }
  }

  /** The ARN pattern of every result object. */
  get resultObjectsArn(): string {
    return this.bucket.arnForObjects(`${RESULTS_PREFIX}*`);
  }

  /**
   * Lets a worker store large results (`storeLargeResult`): s3:PutObject on `results/*` only; a
   * `lambda.Function` also gets `RESULTS_BUCKET_NAME`.
   */
  public grantResultWrite(grantee: iam.IGrantable): void {
    this.grant(
      grantee,
      's3:PutObject',
      "Workers store each task's result as results/<taskId>.json; task ids are minted at submit, so no narrower object ARN exists at deploy time.",
    );
  }

  /** Lets the result route presign GETs of stored results: s3:GetObject on `results/*` only (+ `RESULTS_BUCKET_NAME`). */
  public grantResultRead(grantee: iam.IGrantable): void {
    this.grant(
      grantee,
      's3:GetObject',
      'The result route presigns GETs of results/<taskId>.json for the owner of the task; task ids are minted at submit, so no narrower object ARN exists at deploy time.',
    );
  }

  /** Lets a function delete stored results (`s3:DeleteObject` on `results/*`): a purge erases the task's. */
  public grantResultDelete(grantee: iam.IGrantable): void {
    this.grant(
      grantee,
      's3:DeleteObject',
      "A purge deletes results/<taskId>.json of the caller's own task; task ids are minted at submit, so no narrower object ARN exists at deploy time.",
    );
  }

  private grant(grantee: iam.IGrantable, action: string, reason: string): void {
    allow(grantee, [action], [this.resultObjectsArn]);
    if (grantee instanceof lambda.Function) grantee.addEnvironment('RESULTS_BUCKET_NAME', this.bucket.bucketName);
    const role = grantee.grantPrincipal;
    if (role instanceof iam.Role) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${this.bucketLogicalId()}.Arn>/${RESULTS_PREFIX}*]`, reason });
    }
  }

  private bucketLogicalId(): string {
    return Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
  }
}
