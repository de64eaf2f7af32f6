import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ResultsBucket } from '../../lib/task-api/results-bucket.ts';
import { buildStack } from './fixture.ts';

const { template } = buildStack();

describe('results bucket', () => {
  it('is private, encrypted, TLS only, and owned by the bucket owner', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0]!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    );
  });

  it('expires objects after retention + execution timeout (7 days + 1 hour -> 8 days), and is retained by default', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 8, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })],
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('follows the construct props: retention 30 days, timeout 2 days -> 32 days', () => {
    const t = buildStack({ api: { retention: Duration.days(30), executionTimeout: Duration.days(2) } }).template;
    t.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 32 })] } });
  });

  it('lets browsers follow the 303 (the console on the API origin, and any allowed origin): GET only', () => {
    const rule = { CorsConfiguration: { CorsRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'], AllowedHeaders: ['*'], MaxAge: 3600 }] } };
    template.hasResourceProperties('AWS::S3::Bucket', rule);
    buildStack({ api: { corsAllowOrigins: ['https://app.example.com'] } }).template.hasResourceProperties('AWS::S3::Bucket', rule);
    // The part alone allows none unless told.
    const stack = new Stack(new App(), 'Alone');
    new ResultsBucket(stack, 'Results', { retention: Duration.days(7), executionTimeout: Duration.hours(1) });
    expect(Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket'))[0]!.Properties.CorsConfiguration).toBeUndefined();
  });

  it('sends server access logs where asked, and then needs no acknowledgment for them', () => {
    const app = new App();
    const stack = new Stack(app, 'Logs');
    const logs = new s3.Bucket(stack, 'Logs', { enforceSSL: true });
    new ResultsBucket(stack, 'Results', {
      retention: Duration.days(1),
      executionTimeout: Duration.hours(1),
      serverAccessLogsBucket: logs,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket) },
        LogFilePrefix: 'results-bucket/',
      },
    });
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const onResults = report.violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('Results/')));
    expect(onResults.map((v) => v.ruleName)).toEqual([]);
  });

  it('without a logs bucket, cdk-nag S1 is acknowledged with a reason and nothing else is found', () => {
    const app = new App();
    const stack = new Stack(app, 'NoLogs');
    new ResultsBucket(stack, 'Results', { retention: Duration.days(1), executionTimeout: Duration.hours(1) });
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });
});
