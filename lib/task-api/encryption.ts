/**
 * A customer managed key for everything the construct stores (table, results bucket, queues, log
 * groups, execution data): who may use it, and how.
 * - The services that write with it on their own get a statement in the key policy: CloudWatch Logs
 *   (this account's log groups only) and EventBridge (the backstop rule's dead-letter queue).
 *   Step Functions' log delivery gets its own from CDK.
 * - Each role of the construct may encrypt and decrypt with it only through the services that hold
 *   the construct's data (`kms:ViaService`): DynamoDB, SQS, S3 and Step Functions.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

const VIA_SERVICES = ['dynamodb', 'sqs', 's3', 'states'];

/** Lets CloudWatch Logs and EventBridge use `key`; warns at synth when the key's policy cannot be changed from here (an imported key). */
export function allowServicesToUseKey(scope: Construct, key: kms.IKey): void {
  const stack = Stack.of(scope);
  const statements = [
    new iam.PolicyStatement({
      sid: 'LongrunCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }),
    new iam.PolicyStatement({
      sid: 'LongrunEventBridgeDeadLetters',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  ];
  const added = statements.map((statement) => key.addToResourcePolicy(statement, true).statementAdded);
  if (added.includes(false)) {
    Annotations.of(scope).addWarningV2(
      '@longrun/cdk:encryptionKeyPolicy',
      `The policy of the given encryptionKey cannot be changed from this stack: it must let CloudWatch Logs (logs.<region>.amazonaws.com, for this account's log groups) and EventBridge (events.amazonaws.com) use the key, or logging and the backstop's dead-letter queue fail. See docs/deploy.md, "Encryption with your own key".`,
    );
  }
}

/** Lets `grantee` encrypt and decrypt with `key`, through DynamoDB, SQS, S3 and Step Functions only. */
export function grantKeyUse(grantee: iam.IGrantable, key: kms.IKey): void {
  const region = Stack.of(key).region;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': VIA_SERVICES.map((service) => `${service}.${region}.amazonaws.com`) } },
    }),
  );
}
